/** The argument that makes the server's entry point run a model probe instead of a server. */
export const PROBE_COMMAND = '__probe';
