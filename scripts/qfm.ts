/** The `qfm` command line (cli/): `npm run qfm -- <command>`, or the `qfm` bin. */
import { main } from "../cli/program";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
