/** A Dockerfile read into stages and instructions: enough to check what it builds without Docker. */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  readonly args: string;
  /** 1-based line of the keyword. */
  readonly line: number;
}

export interface Stage {
  readonly name: string | undefined;
  /** The FROM argument as written (`${NODE_IMAGE}`). */
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

export interface ParsedDockerfile {
  /** ARGs before the first FROM, with their defaults. */
  readonly globalArgs: Readonly<Record<string, string | undefined>>;
  readonly stages: readonly Stage[];
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const instructions: Instruction[] = [];
  let pending: { keyword: string; args: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === undefined) {
      if (/^\s*(#|$)/.test(line)) return;
      const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(line)!;
      pending = { keyword: match[1]!.toUpperCase(), args: match[2]!, line: index + 1 };
    } else if (/^\s*#/.test(line)) {
      return; // a comment inside a continued instruction is dropped, as Docker does
    } else {
      pending.args += ` ${line.trim()}`;
    }
    if (pending.args.endsWith('\\')) {
      pending.args = pending.args.slice(0, -1).trimEnd();
      return;
    }
    instructions.push({ ...pending, args: pending.args.trim() });
    pending = undefined;
  });

  const globalArgs: Record<string, string | undefined> = {};
  const stages: { name: string | undefined; from: string; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, from: image!, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key, value] = instruction.args.split('=', 2);
      globalArgs[key!] = value;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** The exec (JSON) form of CMD / ENTRYPOINT / HEALTHCHECK CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const start = args.indexOf('[');
  if (start < 0) return undefined;
  try {
    const parsed = JSON.parse(args.slice(start)) as unknown;
    return Array.isArray(parsed) && parsed.every((part) => typeof part === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}
