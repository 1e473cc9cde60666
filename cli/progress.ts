import type { Io } from "./context";

/** Progress on stderr: a redrawn line on a terminal, a few plain lines in a pipe or a log. */
export interface Progress {
  /** Shows `done` of `total` as a bar (`unit` names what is counted). */
  update(done: number, total: number, unit: string): void;
  /** Shows what is being waited for (printed again in a pipe only when it changes). */
  status(text: string): void;
  /** Shows elapsed time while waiting for one answer (on a terminal only). */
  spin(): void;
  /** Ends the display with the elapsed time, or `text`. */
  done(text?: string): void;
  /** Ends the display without a message (an error follows). */
  stop(): void;
}

const BAR_WIDTH = 24;
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** "[██████░░░░░░] 1,000/2,345 rows" */
export function progressBar(done: number, total: number, unit: string): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * BAR_WIDTH);
  return `[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}] ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} ${unit}`;
}

export function createProgress(io: Io, label: string, options: { silent?: boolean } = {}): Progress {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;
  let lastPlain = "";
  let spunInPipe = false;

  function draw(text: string, ttyText = text) {
    if (options.silent) return;
    if (io.stderrIsTTY) {
      io.stderr(`\r\x1b[2K${label} ${ttyText}`);
      drawn = true;
    } else if (text !== lastPlain) {
      io.stderr(`${label} ${text}\n`);
      lastPlain = text;
    }
  }

  function end(text: string | undefined) {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (options.silent || spunInPipe) return;
    if (io.stderrIsTTY) {
      if (text !== undefined) io.stderr(`\r\x1b[2K${label} ${text}\n`);
      else if (drawn) io.stderr("\r\x1b[2K");
    } else if (text !== undefined) io.stderr(`${label} ${text}\n`);
  }

  return {
    update(done, total, unit) {
      draw(progressBar(done, total, unit));
    },
    status(text) {
      draw(text, `${text} (${elapsed()})`);
    },
    spin() {
      if (options.silent) return;
      // In a pipe or a log, a single request's wait is not worth a line of its own.
      if (!io.stderrIsTTY) {
        spunInPipe = true;
        return;
      }
      let frame = 0;
      draw(`${FRAMES[0]} ${elapsed()}`);
      timer = setInterval(() => draw(`${FRAMES[++frame % FRAMES.length]} ${elapsed()}`), 100);
      timer.unref();
    },
    done(text) {
      end(text ?? `done in ${elapsed()}`);
    },
    stop() {
      end(undefined);
    },
  };
}
