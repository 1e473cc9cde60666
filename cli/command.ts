import type { Command } from "commander";
import { contextOf, type Context, type Io } from "./context";

/** Runs command actions with their context, and keeps the exit code an action asks for. */
export interface Cli {
  io: Io;
  exitCode: number;
  /** Wraps an action: it receives the context, then commander's arguments and options. */
  act(action: (ctx: Context, ...args: any[]) => Promise<number | void>): (...args: any[]) => Promise<void>;
}

export function createCli(io: Io): Cli {
  const cli: Cli = {
    io,
    exitCode: 0,
    act(action) {
      return async (...args: any[]) => {
        const command = args[args.length - 1] as Command;
        const code = await action(contextOf(command, io), ...args.slice(0, -1));
        if (typeof code === "number") cli.exitCode = code;
      };
    },
  };
  return cli;
}
