// @ts-check
// Before `npm run package`: removes Python's __pycache__ folders under server/. vsce lets a `!` line of
// .vscodeignore win over any other, so `!server/aca_inference/**` would carry every .pyc the tests left there
// into the VSIX (68 files, about 340 KB here) despite `**/__pycache__/**`. Python rebuilds them when it needs them.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** @param {string} folder */
function clean(folder) {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isDirectory()) {
      continue;
    }
    const child = path.join(folder, entry.name);
    if (entry.name === '__pycache__') {
      fs.rmSync(child, { recursive: true, force: true });
    } else {
      clean(child);
    }
  }
}

clean('server');
