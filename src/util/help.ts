import {CommandHelp, Help} from '@oclif/core'

/**
 * oclif's generated usage line leaves a flag's empty group behind when the
 * flag it depends on or excludes is shown elsewhere: "[--realtime ]",
 * "[--reconnect | ]". Drop the empty remainder.
 */
export function tidyUsage(usage: string): string {
  return usage.replace(/(?:\s*\|)?\s+\]/g, ']')
}

class RnnWakeCommandHelp extends CommandHelp {
  protected override defaultUsage(): string {
    return tidyUsage(super.defaultUsage())
  }
}

/** The help class package.json names (oclif.helpClass). */
export default class RnnWakeHelp extends Help {
  protected override CommandHelpClass = RnnWakeCommandHelp
}
