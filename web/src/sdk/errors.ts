/** A refusal from the server (REST ProblemDetails or a socket `error` frame), with its stable `code`. */
export class LimeError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, status?: number, retryAfterMs?: number) {
    super(message);
    this.name = 'LimeError';
    this.code = code;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The connection ended (or could not be made) before a reply arrived: the outcome of the request is unknown. */
export class ConnectionLostError extends Error {
  constructor(message = 'Connection lost') {
    super(message);
    this.name = 'ConnectionLostError';
  }
}

/** The device session is gone (logged out, or its refresh token was refused): sign in again. */
export class SessionEndedError extends Error {
  constructor(message = 'Your session has ended. Please sign in again.') {
    super(message);
    this.name = 'SessionEndedError';
  }
}

/** A human sentence for any error thrown by the SDK. */
export function describeError(e: unknown): string {
  if (e instanceof LimeError || e instanceof ConnectionLostError || e instanceof SessionEndedError) {
    return e.message;
  }
  if (e instanceof TypeError) {
    return 'Cannot reach the server. Check your connection.';
  }
  return e instanceof Error ? e.message : String(e);
}
