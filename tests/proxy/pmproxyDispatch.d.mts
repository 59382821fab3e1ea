/** Which pmproxy handler a forwarded request reaches; see pmproxyDispatch.mjs. */
export function pmproxyHandler(target: string): string;
