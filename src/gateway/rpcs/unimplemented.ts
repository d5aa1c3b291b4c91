import type { ServerUnaryCall, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js';
import { GRPC_STATUS } from '../../errors.js';

/** The answer for an RPC of the protocol that Tributary does not support yet. */
export function unimplementedStatus(rpc: string): { code: number; details: string } {
  return { code: GRPC_STATUS.UNIMPLEMENTED, details: `Tributary does not implement ${rpc} yet` };
}

export function unimplementedUnary(rpc: string) {
  return (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => callback(unimplementedStatus(rpc));
}

export function unimplementedServerStream(rpc: string) {
  return (call: ServerWritableStream<unknown, unknown>): void => {
    call.emit('error', unimplementedStatus(rpc));
  };
}
