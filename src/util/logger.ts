// What the server logs through: pino's calling form (an object of fields, then the message), so the
// server's pino logger is passed as it is and tests pass a recording one. Fields never hold a secret.

export interface Logger {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

/** Logs nothing: the default where no logger is given. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
