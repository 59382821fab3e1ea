/**
 * CSV as scripts print it with printf (RFC 4180, leniently): fields separated by ',', records by
 * LF or CRLF; a field that starts with '"' is quoted and may hold commas, line breaks and doubled
 * quotes (`""` → `"`). A quote inside an unquoted field is kept as a character; characters after a
 * closing quote (`"a"b`) are kept too; blanks before an opening quote (`a, "b"`) are dropped.
 * An empty line is not a record; the final line break is optional.
 */
export function parseCsv(text: string): string[][] {
  return parseCsvRecords(text).records;
}

export interface CsvParse {
  records: string[][];
  /** The text ended inside a quoted field: the last record is incomplete (still being printed). */
  unterminated: boolean;
}

/** {@link parseCsv}, and whether the text stopped inside a quoted field. */
export function parseCsvRecords(text: string): CsvParse {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  /** The current record has begun (an empty line never begins one). */
  let inRecord = false;
  /** The current field has begun: a '"' now is a character, unless only blanks came before it. */
  let inField = false;
  let quoted = false;
  let i = 0;
  const n = text.length;

  const endField = () => {
    record.push(field);
    field = '';
    inField = false;
  };
  const endRecord = () => {
    if (inRecord) {
      endField();
      records.push(record);
    }
    record = [];
    field = '';
    inRecord = false;
    inField = false;
  };

  while (i < n) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else {
          quoted = false;
          i++;
        }
        continue;
      }
      // Copy the run up to the next quote in one go: quoted fields can be long (paths, stacks).
      const next = text.indexOf('"', i);
      const end = next === -1 ? n : next;
      field += text.slice(i, end);
      i = end;
      continue;
    }
    if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      endRecord();
      i += c === '\n' ? 1 : 2;
      continue;
    }
    inRecord = true;
    if (c === ',') {
      endField();
    } else if (c === '"' && (!inField || isBlank(field))) {
      // Also after blanks: printf("%s, \"%s\"\n") puts a space between the comma and the quote.
      field = '';
      inField = true;
      quoted = true;
    } else {
      inField = true;
      field += c;
    }
    i++;
  }
  const unterminated = quoted;
  endRecord();
  return { records, unterminated };
}

function isBlank(s: string): boolean {
  return /^[ \t]*$/.test(s);
}
