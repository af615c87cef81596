/** gameplatform's TypeScript client: see README.md. */
export const VERSION = "0.1.0";
