/**
 * pmproxy refuses a request whose URL is longer than this with "414 URI Too Long". Everything
 * that sizes a request starts from this one figure: lists of names or pmids per fetch
 * (client.ts), and the room for a script's text in a store (scripts/budget.ts).
 */
export const PMPROXY_MAX_URL = 8000;
