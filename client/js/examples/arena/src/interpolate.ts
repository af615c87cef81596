/**
 * Smooth motion from a real-time mode's patches: every view is kept with the time it arrived,
 * and a dot is drawn `delayMs` behind the newest one, between the two views around that time.
 * The server sends 20 views a second at most (none while nothing moves); a screen draws 60 or
 * more: drawn at the newest view alone, dots would jump from one patch to the next.
 */
export interface Point {
  x: number;
  y: number;
}

export interface Timed<View> {
  at: number;
  view: View;
}

export class Interpolator<View> {
  private readonly views: Timed<View>[] = [];

  constructor(
    private readonly positionsOf: (view: View) => Record<string, Point>,
    readonly delayMs = 100,
    readonly keep = 40,
  ) {}

  /** A new view, arrived at `at` (milliseconds, the clock `positions` is asked with). */
  push(view: View, at: number): void {
    this.views.push({ at, view });
    if (this.views.length > this.keep) this.views.splice(0, this.views.length - this.keep);
  }

  /** Every dot's position at `now - delayMs`: between the views around that time, or the nearest one. */
  positions(now: number): Record<string, Point> {
    const t = now - this.delayMs;
    const after = this.views.findIndex((v) => v.at > t);
    if (this.views.length === 0) return {};
    if (after === 0) return this.positionsOf(this.views[0]!.view);
    if (after === -1) return this.positionsOf(this.views[this.views.length - 1]!.view);
    const a = this.views[after - 1]!;
    const b = this.views[after]!;
    const share = (t - a.at) / (b.at - a.at);
    const from = this.positionsOf(a.view);
    const to = this.positionsOf(b.view);
    const out: Record<string, Point> = {};
    for (const [id, p] of Object.entries(to)) {
      const q = from[id] ?? p;
      out[id] = { x: q.x + (p.x - q.x) * share, y: q.y + (p.y - q.y) * share };
    }
    return out;
  }
}
