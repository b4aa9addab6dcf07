// Terminal output shared by scripts/start.mjs and scripts/test.mjs. Node built-ins only: these scripts
// run before `npm ci` has ever been run.
const enabled = process.env.FORCE_COLOR ? process.env.FORCE_COLOR !== '0' : Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

const paint = (open, close) => (s) => (enabled ? `\x1b[${open}m${s}\x1b[${close}m` : String(s));
export const color = {
  bold: paint(1, 22),
  dim: paint(2, 22),
  red: paint(31, 39),
  green: paint(32, 39),
  yellow: paint(33, 39),
  blue: paint(34, 39),
  magenta: paint(35, 39),
  cyan: paint(36, 39),
  gray: paint(90, 39),
};

/** Thrown for a failure the user can act on: printed without a stack trace. */
export class Fatal extends Error {}

export function step(message) {
  console.log(`${color.cyan('▸')} ${message}`);
}

export function note(message) {
  console.log(`  ${color.dim(message)}`);
}

export function warn(message) {
  console.warn(`${color.yellow('⚠')} ${color.yellow(message)}`);
}

/** Runs a script's main(): Fatal errors print their message, anything else its stack. */
export function runMain(main) {
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (e) => {
      if (e instanceof Fatal) console.error(`\n${color.red('✖')} ${color.red(e.message)}`);
      else console.error(e);
      process.exit(1);
    },
  );
}
