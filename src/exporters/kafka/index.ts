export * from './kafka-producer.js';
export * from './kafkajs-producer.js';
export * from './record-routing.js';
export * from './avro.js';
export * from './schema-registry-client.js';
export * from './kafka-exporter.js';
