import { Command } from 'commander';
import { brokerCommand } from './broker-command.js';
import { connectCommand } from './connect-command.js';
import { cancelCommand, createCommand, deployCommand, publishCommand, statusCommand } from './client-commands.js';
import { activateCommand, completeCommand, failCommand, resolveCommand, setCommand, updateCommand } from './job-commands.js';
import { workerCommand } from './worker-command.js';

const DEFAULT_ADDRESS = process.env.TRIBUTARY_ADDRESS ?? process.env.ZEEBE_ADDRESS ?? '127.0.0.1:26500';

/** The `tributary` command: the broker, and client commands in the spirit of zbctl. */
export function buildProgram(): Command {
  const program = new Command('tributary')
    .description('Tributary: an event-sourced BPMN workflow engine that speaks the Zeebe gateway protocol')
    .option('--address <host:port>', 'gateway address for client commands (env TRIBUTARY_ADDRESS)', DEFAULT_ADDRESS)
    .option('--json', 'print JSON for scripts instead of text for people')
    .showHelpAfterError();
  for (const command of [
    brokerCommand(),
    statusCommand(),
    deployCommand(),
    createCommand(),
    cancelCommand(),
    publishCommand(),
    activateCommand(),
    completeCommand(),
    failCommand(),
    updateCommand(),
    resolveCommand(),
    setCommand(),
    workerCommand(),
    connectCommand(),
  ]) {
    program.addCommand(command);
  }
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: Error) => {
    console.error(`Error: ${error.message}`);
    process.exitCode = 1;
  });
