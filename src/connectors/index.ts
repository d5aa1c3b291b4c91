export * from './connectors-config.js';
export * from './kafka-consumer.js';
export * from './kafkajs-consumer.js';
export * from './inbound-command.js';
export * from './command-gateway.js';
export * from './inbound-connector.js';
export * from './connectors-runner.js';
