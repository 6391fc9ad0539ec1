const TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\],:]|[^\s{}[\],:"]+|\s+/g

/** A string as Python writes it: JSON escapes, and everything past ASCII as \uXXXX. */
function pythonString (value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * Valid JSON text re-written the way Python's `json.dumps` writes it (`", "` and
 * `": "` separators, non-ASCII escaped), so `POST /messages` answers exactly what
 * the tutorial shows: `JSON Message: {"message": "Hello Data"}`. It works on the
 * text, not on a parsed value, so numbers stay exactly as sent (no precision is
 * lost to doubles) and no nesting depth can overflow the stack.
 */
export function pythonJsonDumps (json: string): string {
  let out = ''
  for (const [token] of json.matchAll(TOKEN)) {
    const first = token[0]
    if (first === '"') out += pythonString(JSON.parse(token) as string)
    else if (token === ',' || token === ':') out += `${token} `
    else if (first !== undefined && !/\s/.test(first)) out += token
  }
  return out
}
