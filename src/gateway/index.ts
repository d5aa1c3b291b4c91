export * from './broker-client.js';
export * from './gateway-server.js';
export { CommandRejectedError, rejectionStatus, type GatewayLogger } from './grpc-errors.js';
export { DEPLOYMENT_PARTITION_ID } from './rpcs/deploy-resource.js';
