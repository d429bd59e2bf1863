import { clean } from "./util";

export interface Verdict {
  label: "spam" | "ham";
  score: number;
}

/** Judge whether a message is spam. */
export async function judge(message: string): Promise<Verdict> {
  // TODO: call a model
  return { label: "ham", score: 0.1 };
}

export class Writer {
  prefix = "Dear";

  // agentforge: dynamic
  /** Write a greeting letter to someone. */
  greet(this: Writer, name: string): string {
    // TODO: real letter
    return `${this.prefix} ${name},
lorem ipsum dolor sit amet`;
  }
}

/** A tagline for the landing page. */
export const tagline = (topic: string): string => "Lorem ipsum dolor sit amet";

/** Summarize options. */
export function summarize({ text, limit = 10 }: { text: string; limit?: number }): string {
  throw new Error("not implemented");
}

export function untouched(x: number): number {
  return clean(x) * 2;
}
