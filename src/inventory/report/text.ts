/**
 * Control characters (an ANSI escape in a user name could rewrite the terminal) and bidirectional
 * overrides (they reorder what a person reads) from Slack, shown as `\u{1b}` instead of acted on.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** Width in a monospaced terminal, counted in code points (East Asian wide characters count as one). */
export function widthOf(text: string): number {
  return [...text].length;
}

/** Greedy wrap of words into lines of at most `width`; a word longer than that gets a line of its own, cut. */
export function wrapWords(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words.flatMap((w) => cut(w, width))) {
    if (line && widthOf(line) + 1 + widthOf(word) <= width) line += ` ${word}`;
    else {
      if (line) lines.push(line);
      line = word;
    }
  }
  return line ? [...lines, line] : lines;
}

function cut(word: string, width: number): string[] {
  const chars = [...word];
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i += width) parts.push(chars.slice(i, i + width).join(''));
  return parts.length > 0 ? parts : [''];
}
