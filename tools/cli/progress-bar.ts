/** A dependency-free progress display for long CLI operations, on stderr. */

export interface ProgressSnapshot {
  /** 0..1 */
  readonly fraction: number;
  readonly eventsApplied: number;
  readonly eventsPerSecond: number;
  /** undefined: not known yet. */
  readonly etaSeconds: number | undefined;
  /** A short word shown after the numbers (e.g. `replay`, `swap`). */
  readonly phase?: string;
}

/** `[#######.............]  35.0%  12,345 events  51.2k ev/s  ETA 0:12  replay` */
export function formatProgress(snapshot: ProgressSnapshot, width = 24): string {
  const fraction = Number.isFinite(snapshot.fraction) ? Math.min(1, Math.max(0, snapshot.fraction)) : 0;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const percent = `${(fraction * 100).toFixed(1)}%`.padStart(6);
  const parts = [
    bar,
    percent,
    `${formatCount(snapshot.eventsApplied)} events`,
    `${formatRate(snapshot.eventsPerSecond)} ev/s`,
    `ETA ${formatDuration(snapshot.etaSeconds)}`,
  ];
  if (snapshot.phase) parts.push(snapshot.phase);
  return parts.join('  ');
}

/** 1234567 → `1,234,567` */
export function formatCount(count: number): string {
  return Math.round(count).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 950 → `950`, 51234 → `51.2k`, 2_500_000 → `2.5M` */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return '0';
  if (perSecond < 1_000) return Math.round(perSecond).toString();
  if (perSecond < 1_000_000) return `${(perSecond / 1_000).toFixed(1)}k`;
  return `${(perSecond / 1_000_000).toFixed(1)}M`;
}

/** 72 → `1:12`, 3723 → `1:02:03`, undefined → `--:--` */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--:--';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = s.toString().padStart(2, '0');
  return h > 0 ? `${h}:${m.toString().padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface ProgressBarOptions {
  /** Redraw in place (TTY) or print plain lines. Default: the stream's `isTTY`. */
  readonly tty?: boolean;
  /** Without a TTY, at most one line per interval (plus one per phase change). Default 2000 ms. */
  readonly lineIntervalMs?: number;
  readonly now?: () => number;
}

export class ProgressBar {
  private readonly tty: boolean;
  private lastLine = 0;
  private lastPhase: string | undefined;
  private drawn = false;

  constructor(
    private readonly stream: { write(text: string): unknown; isTTY?: boolean } = process.stderr,
    private readonly options: ProgressBarOptions = {},
  ) {
    this.tty = options.tty ?? !!stream.isTTY;
  }

  update(snapshot: ProgressSnapshot): void {
    const line = formatProgress(snapshot);
    if (this.tty) {
      this.stream.write(`\r${line}\x1b[K`);
      this.drawn = true;
      return;
    }
    const now = (this.options.now ?? Date.now)();
    const phaseChanged = snapshot.phase !== this.lastPhase;
    if (!phaseChanged && now - this.lastLine < (this.options.lineIntervalMs ?? 2000)) return;
    this.lastLine = now;
    this.lastPhase = snapshot.phase;
    this.stream.write(`${line}\n`);
  }

  /** Ends the bar's line (TTY) and prints a closing message. */
  finish(message: string): void {
    if (this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
    this.stream.write(`${message}\n`);
  }
}
