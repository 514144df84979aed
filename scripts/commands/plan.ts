// `fleetfed plan`: discover + render in memory, and print the semantic change a sync would propose.

import { formatProposal } from "../core/review/proposal-text.ts";
import type { Context } from "./context.ts";
import { propose } from "./propose.ts";

export async function planCommand(ctx: Context, opts: { offline: boolean }): Promise<number> {
  ctx.out(formatProposal(await propose(ctx, ctx.root, { offline: opts.offline })));
  return 0;
}
