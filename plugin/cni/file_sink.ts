/** The rotating JSON-lines file sink, in its own module so logging.ts can load it lazily. */
export { getRotatingFileSink } from "@logtape/file";
