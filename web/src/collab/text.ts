// Code point helpers. The protocol counts Unicode code points; JavaScript strings are UTF-16.
// A well-formed astral character is a high surrogate followed by a low one: two units, one
// code point. A lone surrogate counts as one code point here, but never reaches the server
// (see `replaceLoneSurrogates`).

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The number of code points in `s`. */
export function cpLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if (isHigh(s.charCodeAt(i)) && isLow(s.charCodeAt(i + 1))) {
      n--;
      i++;
    }
  }
  return n;
}

/** How many surrogate pairs `s` holds between UTF-16 offsets `from` and `to`. */
export function astralCount(s: string, from = 0, to = s.length): number {
  let n = 0;
  for (let i = from; i < to - 1; i++) {
    if (isHigh(s.charCodeAt(i)) && isLow(s.charCodeAt(i + 1))) {
      n++;
      i++;
    }
  }
  return n;
}

/** The UTF-16 offset of code point `cp` in `s`, starting the walk at UTF-16 offset `from`. */
export function utf16Offset(s: string, cp: number, from = 0): number {
  let i = from;
  while (cp > 0 && i < s.length) {
    i += isHigh(s.charCodeAt(i)) && i + 1 < s.length && isLow(s.charCodeAt(i + 1)) ? 2 : 1;
    cp--;
  }
  if (cp > 0) throw new RangeError("code point offset past the end of the text");
  return i;
}

/** `s` with every lone surrogate replaced by U+FFFD, which JSON parsers accept. */
export function replaceLoneSurrogates(s: string): string {
  // `isWellFormed` is in every current browser and Node 20.
  if (s.isWellFormed()) return s;
  return s.toWellFormed();
}

/** `s` with `\r\n` and lone `\r` turned into `\n`, as the protocol requires. */
export function normalizeNewlines(s: string): string {
  return s.indexOf("\r") < 0 ? s : s.replace(/\r\n?/g, "\n");
}
