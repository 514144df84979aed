// File system edge: read the inputs and the current manifests, and write generated output so that any
// interruption leaves a state the next run completes.

import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  type Stats,
  statSync,
} from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import { EXIT_REFUSED, FleetfedError } from "../core/errors.ts";
import { WRITING_MARK } from "../core/layout.ts";
import type { Tree } from "../core/render/manifests.ts";

/** Inputs are small: a cluster file is a few hundred bytes, fleet.yaml a few kilobytes. */
export const INPUT_LIMIT = 1024 * 1024;

/**
 * Reads one input file, or undefined when it does not exist. Refused by name, without reading them:
 * anything that is not a regular file (a folder, a FIFO that would block, a device like /dev/zero),
 * a file over `limit` bytes, and a symbolic link that leads outside `root` (so `ln -s /etc/shadow
 * clusters/x.yaml` cannot put a secret into an error message).
 */
export function readInput(
  root: string,
  path: string,
  shownAs: string,
  limit = INPUT_LIMIT,
): string | undefined {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw inputError(shownAs, `cannot be read: ${(e as NodeJS.ErrnoException).code}`);
  }
  if (st.isSymbolicLink()) {
    let target: string;
    try {
      target = realpathSync(path);
    } catch {
      throw inputError(
        shownAs,
        "is a symbolic link to nothing",
        "remove the link or make it point at a file in the repository",
      );
    }
    if (!isInside(realpathSync(root), target))
      throw inputError(
        shownAs,
        "is a symbolic link to a file outside the repository; fleetfed reads only files inside it",
        "copy the file into the repository instead of linking to it",
      );
    st = statSync(target);
  }
  if (!st.isFile()) {
    const what = st.isDirectory()
      ? "a folder"
      : st.isFIFO()
        ? "a FIFO"
        : st.isSocket()
          ? "a socket"
          : "a device";
    throw inputError(shownAs, `is ${what}, not a file`, "remove it, or replace it with a regular file");
  }
  return readBounded(path, st.size, shownAs, limit);
}

/** Reads a regular file (a path or an open descriptor) of `size` bytes, refusing one over `limit`. */
function readBounded(file: string | number, size: number, shownAs: string, limit: number): string {
  if (size > limit)
    throw inputError(
      shownAs,
      `is ${size} bytes; fleetfed refuses inputs over ${limit} bytes`,
      "this is not a fleetfed input; remove it or split it",
    );
  try {
    const text = readFileSync(file, "utf8");
    if (text.length > limit) throw inputError(shownAs, `grew over ${limit} bytes while being read`);
    return text;
  } catch (e) {
    throw readFailure(shownAs, e);
  }
}

/** A failed read as one problem naming the file; a problem already raised passes through. */
function readFailure(shownAs: string, e: unknown): FleetfedError {
  if (e instanceof FleetfedError) return e;
  return inputError(shownAs, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
}

/**
 * A file the directory listing reported as regular, read through one descriptor opened without following
 * links and without blocking: what readInput checks, in fewer system calls (at 10,000 cluster files each
 * one per file is measurable). A small file, as every cluster file is, takes one read into a reused
 * buffer and no fstat; one that fills the buffer or cannot be read is looked at with fstat. Undefined
 * when it is no longer a regular file (replaced since the listing): readInput then says what it is.
 */
export function readRegularFile(path: string, shownAs: string, limit = INPUT_LIMIT): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, NO_FOLLOW);
  } catch {
    return undefined;
  }
  try {
    let text: string | undefined;
    try {
      text = readInOne(fd);
    } catch {
      // A folder (EISDIR) or a FIFO with nothing to read (EAGAIN): fstat below says so.
    }
    if (text !== undefined) return text;
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    return readBounded(fd, st.size, shownAs, limit);
  } catch (e) {
    throw readFailure(shownAs, e);
  } finally {
    closeSync(fd);
  }
}

const SMALL = Buffer.allocUnsafe(64 * 1024);
/** Opened without following a link, and without blocking on a FIFO. */
const NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * The file's text when one read into the reused buffer holds all of it; undefined when the read fills
 * the buffer, or reads nothing (an empty file, or a FIFO without a writer: the caller tells them apart).
 */
function readInOne(fd: number): string | undefined {
  const n = readSync(fd, SMALL, 0, SMALL.length, 0);
  return n > 0 && n < SMALL.length ? SMALL.toString("utf8", 0, n) : undefined;
}

/** Whether `path` is `dir` or inside it, both absolute and resolved. */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

function inputError(file: string, message: string, hint?: string): FleetfedError {
  return new FleetfedError({ file, line: 1, message, ...(hint && { hint }) });
}

/** Marks a file fleetfed is still writing; any such file found later is a leftover of an interrupted run. */
const TMP_MARK = ".fleetfed-tmp-";

/**
 * Refuses a generated folder that is a symbolic link, or a link to a folder anywhere on the way from
 * `dir` to any of `paths`: fleetfed reads and writes manifests/ only inside the repository, so a link to
 * a folder elsewhere never has its files deleted or overwritten. Checked before anything is written.
 */
function refuseLinks(dir: string, paths: Iterable<string> = []): void {
  const shown = (path: string) => relative(dirname(dir), path) || path;
  const check = (path: string) => {
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch {
      return false; // missing: created as a real folder
    }
    if (st.isSymbolicLink())
      throw new FleetfedError(
        {
          file: shown(path),
          message:
            "is a symbolic link; fleetfed writes generated files only inside the repository, never through a link",
          hint: "remove the link (fleetfed regenerates everything under it) and run the command again",
        },
        EXIT_REFUSED,
      );
    return st.isDirectory();
  };
  if (!check(dir)) return;
  const folders = new Set<string>();
  for (const path of paths) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join("/"));
  }
  for (const folder of [...folders].sort()) check(join(dir, folder));
}

/** Every file under `dir` as relative `/`-separated path → content; empty when `dir` does not exist. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  refuseLinks(dir);
  let top: Dirent[];
  try {
    top = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw e;
  }
  const paths: string[] = [];
  // A walk of our own, one listing per folder: Node's recursive listing takes twice as long on the ~600
  // files of a 10,000-cluster manifests/. Links are neither followed nor read, as before.
  const walk = (entries: Dirent[], abs: string, rel: string) => {
    for (const d of entries) {
      if (d.isDirectory())
        walk(
          readdirSync(`${abs}/${d.name}`, { withFileTypes: true }),
          `${abs}/${d.name}`,
          `${rel}${d.name}/`,
        );
      else if (d.isFile()) paths.push(`${rel}${d.name}`);
    }
  };
  walk(top, dir, "");
  // Synchronous reads, each into a reused buffer when it fits: one thread-pool round trip per file, or
  // readFileSync's fstat and second read, cost more than the read itself here.
  const tree = new Map<string, string>();
  for (const path of paths.sort()) tree.set(path, readWhole(`${dir}/${path}`));
  return tree;
}

/** A file's text in one read when it fits the reused buffer, else through readFileSync. */
function readWhole(path: string): string {
  const fd = openSync(path, NO_FOLLOW);
  try {
    return readInOne(fd) ?? readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes `dir` hold exactly `tree`, in place: each changed file is written to a temporary sibling and renamed
 * over the old one, then files the tree does not have are removed (leftover temporary files of an
 * interrupted run among them), then empty folders. `dir` itself is never moved away, so an interruption
 * at any point leaves it present, and the next run converges on the fresh render. WRITING_MARK, holding `mark`, stands
 * in `dir` from the first change to the last, so the next run can tell an interrupted write. Writes nothing
 * when nothing differs.
 */
export async function writeTree(
  dir: string,
  tree: Tree,
  mark = "fleetfed is writing manifests/; if this file stays, that write was interrupted\n",
): Promise<void> {
  refuseLinks(dir, tree.keys());
  await guard(dir, () => mkdir(dir, { recursive: true }));
  const current = await readTree(dir);
  const changed = [...tree].filter(([path, content]) => current.get(path) !== content);
  const unwanted = [...current.keys()].filter((path) => !tree.has(path) && path !== WRITING_MARK);
  if (changed.length === 0 && unwanted.length === 0 && !current.has(WRITING_MARK)) return;
  // The mark (what core/fleet.ts writingMark() says: the placement being written) is itself written
  // whole, so a run that finds it can trust what it says.
  await writeFileAtomic(join(dir, WRITING_MARK), mark);
  for (const [path, content] of changed) {
    const target = join(dir, path);
    await guard(target, () => mkdir(dirname(target), { recursive: true }));
    await writeFileAtomic(target, content);
  }
  for (const path of unwanted) await guard(join(dir, path), () => rm(join(dir, path), { force: true }));
  await removeEmptyFolders(dir);
  await guard(join(dir, WRITING_MARK), () => rm(join(dir, WRITING_MARK), { force: true }));
}

async function removeEmptyFolders(dir: string): Promise<void> {
  const folders = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(d.parentPath, d.name))
    .sort((a, b) => b.length - a.length);
  for (const folder of folders) {
    if (readdirSync(folder).length === 0) await guard(folder, () => rm(folder, { recursive: true }));
  }
}

/** Removes what an interrupted `writeFileAtomic` of `path` left beside it: its temporary siblings. */
export async function removeLeftoversOf(path: string): Promise<void> {
  const prefix = `${basename(path)}${TMP_MARK}`;
  for (const name of readdirSync(dirname(path))) {
    if (name.startsWith(prefix))
      await guard(join(dirname(path), name), () => rm(join(dirname(path), name), { force: true }));
  }
}

/** Writes one file through a temporary sibling and a rename, so readers never see half of it. */
export async function writeFileAtomic(
  path: string,
  content: string,
  opts: { makeFolder?: boolean } = {},
): Promise<void> {
  const tmp = `${path}${TMP_MARK}${process.pid}`;
  if (opts.makeFolder) await guard(dirname(path), () => mkdir(dirname(path), { recursive: true }));
  await guard(path, async () => {
    try {
      await writeFile(tmp, content);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  });
}

/** File-system failures while writing, as one line naming the file (exit 1): nothing is a stack trace. */
async function guard<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (!err.code) throw e;
    throw new FleetfedError(
      {
        file: relative(process.cwd(), path) || path,
        message: `cannot write: ${err.code} ${err.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "")}`,
        hint: "make the repository writable by this user and run the command again; it finishes what this run started",
      },
      EXIT_REFUSED,
    );
  }
}

/** A private scratch folder in the system's temporary folder, or one line saying $TMPDIR is not usable. */
export async function scratchFolder(prefix: string): Promise<string> {
  try {
    return await mkdtemp(join(tmpdir(), prefix));
  } catch (e) {
    throw new FleetfedError(
      {
        message: `cannot make a scratch folder in ${tmpdir()}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        hint: "set TMPDIR to a folder this user can write, and run the command again; nothing was changed",
      },
      EXIT_REFUSED,
    );
  }
}
