// Loaded with `node --import` into a program under test: appends the URL of every module the program
// loads through the ES module loader to the file named by MODULE_TRACE_FILE, one a line.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      const file = ${JSON.stringify(process.env.MODULE_TRACE_FILE ?? '')};
      export async function load(url, context, next) {
        if (file) appendFileSync(file, url + '\\n');
        return next(url, context);
      }
    `),
);
