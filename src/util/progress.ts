import cliProgress from 'cli-progress'

/** A progress reporter that draws a bar on a TTY and stays silent elsewhere (pipes, CI logs). */
export interface Progress {
  update(done: number, payload?: Record<string, string | number>): void
  stop(): void
}

export function createProgress(total: number, label: string, stream: NodeJS.WriteStream = process.stderr, extraFormat = ''): Progress {
  if (!stream.isTTY) return {update() {}, stop() {}}
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}${extraFormat}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  )
  bar.start(total, 0)
  return {
    update: (done, payload) => bar.update(done, payload),
    stop: () => bar.stop(),
  }
}
