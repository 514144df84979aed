/** The cache folder of the checkout that holds `scriptsDir`. */
export function compileCacheDir(scriptsDir: string): string;
/** Whether `dir` and each folder above it up to `top` is this user's own: not a link, not writable by others. */
export function trustedFolder(dir: string, top: string, uid?: number): boolean;
/** The cache folder to hand Node, created private when missing; undefined when it cannot be trusted. */
export function trustedCompileCache(scriptsDir: string): string | undefined;
