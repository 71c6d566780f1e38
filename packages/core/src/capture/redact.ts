/**
 * Redaction of a captured event, before it is queued: nothing that leaves the process (or waits
 * in its memory) holds a credential or a patient's data. Safe by default, widened by the user:
 *
 * - headers by name: a denylist, `AURA_CAPTURE_SENSITIVE_HEADERS` and `redact.headers`;
 * - body and query fields by name: patient names, birth dates, patient and record identifiers,
 *   addresses, phone numbers, e-mail, secrets, plus `redact.fields`; the whole value under such a
 *   name is masked, whatever its type (an object, an array, a number);
 * - DICOM JSON attributes by tag (PS3.18 F.2): the patient group `0010`, every private tag, every
 *   person name (`PN`), and the PHI-bearing tags of the Basic Application Level Confidentiality
 *   Profile (PS3.15 Table E.1-1) listed in `DICOM_PHI_TAGS`;
 * - value patterns wherever they stand: `aubt_…`, `aulift_…`, `aura_sk_…`, `aura_au_…`,
 *   `aura_ck_…`, bearer and basic credentials, JWTs (the core's `redactText`), plus
 *   `redact.patterns`.
 *
 * Every mask is the same constant, so no mask reveals the length of what it hides. Redaction
 * works on copies: what the application sees is never changed.
 */
import { redactText } from '../redact';
import type { CaptureRedactOptions } from './types';

/** The one mask: the same whatever it hides. */
export const REDACTED = '[redacted]';

/** Header names masked by default (lowercase). */
export const DEFAULT_SENSITIVE_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-capture-key',
  'x-auth-token',
  'x-csrf-token',
  'x-xsrf-token',
  // A client's address is an identifier too (HIPAA Safe Harbor, item R).
  'forwarded',
  'x-forwarded-for',
  'x-real-ip',
];

/**
 * Field names masked by default wherever they stand, compared after lowercasing and dropping
 * everything but letters and digits (`birth_date`, `birthDate`, `Birth-Date` are one name).
 */
export const DEFAULT_SENSITIVE_FIELDS: readonly string[] = [
  // names (FHIR HumanName, HL7, DICOM keywords)
  'name',
  'names',
  'given',
  'family',
  'dob',
  'mrn',
  'ssn',
  'nhi',
  'city',
  'zip',
  'line',
  'tel',
  'fax',
  'identifier',
  'telecom',
  'contact',
  'photo',
];

/** Parts of a field name that make it sensitive wherever they appear in it. */
const SENSITIVE_FIELD_PARTS: readonly string[] = [
  'patient',
  'firstname',
  'lastname',
  'givenname',
  'familyname',
  'middlename',
  'fullname',
  'maidenname',
  'surname',
  'forename',
  'personname',
  'physician',
  'birth',
  'dateofbirth',
  'medicalrecord',
  'healthrecord',
  'accessionnumber',
  'socialsecurity',
  'nhsnumber',
  'medicare',
  'medicaid',
  'insurance',
  'passport',
  'licence',
  'license',
  'address',
  'street',
  'postcode',
  'postalcode',
  'zipcode',
  'phone',
  'mobile',
  'email',
  // secrets
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'authorization',
  'cookie',
  'credential',
  'signature',
  'privatekey',
];

/**
 * PHI-bearing DICOM tags of PS3.15 Table E.1-1 (Basic Profile) masked besides the whole group
 * `0010`, every private (odd) group and every `PN` value. Unique identifiers (UIDs) are kept:
 * Aura needs the study and series UIDs to refer to an upload; add them to `redact.fields` (as
 * `0020000D`, …) to mask them too.
 */
export const DICOM_PHI_TAGS: readonly string[] = [
  // dates and times of the study, series, acquisition and content
  '00080020',
  '00080021',
  '00080022',
  '00080023',
  '00080024',
  '00080025',
  '0008002A',
  '00080030',
  '00080031',
  '00080032',
  '00080033',
  '00080034',
  '00080035',
  // accession number, institution, physicians, station, descriptions, operators
  '00080050',
  '00080080',
  '00080081',
  '00080082',
  '00080090',
  '00080092',
  '00080094',
  '00080096',
  '0008009C',
  '0008009D',
  '00081010',
  '00081030',
  '0008103E',
  '00081040',
  '00081048',
  '00081049',
  '00081050',
  '00081052',
  '00081060',
  '00081062',
  '00081070',
  '00081072',
  '00081080',
  '00081084',
  '00081120',
  '00082111',
  '00084000',
  // device and acquisition identifiers and comments
  '00181000',
  '00181004',
  '00181005',
  '00181007',
  '00181008',
  '00181030',
  '00184000',
  '0018700A',
  '00189424',
  '0018A003',
  // study id, comments
  '00200010',
  '00204000',
  '00209158',
  '00284000',
  // study scheduling and requests
  '00320012',
  '00321020',
  '00321021',
  '00321030',
  '00321032',
  '00321033',
  '00321060',
  '00321070',
  '00324000',
  // visit: admission, residence, location, episode, comments
  '00380004',
  '00380010',
  '00380011',
  '0038001E',
  '00380020',
  '00380021',
  '00380040',
  '00380050',
  '00380060',
  '00380061',
  '00380062',
  '00380300',
  '00380400',
  '00380500',
  '00384000',
  // procedure steps, orders, observers, persons
  '00400001',
  '00400002',
  '00400003',
  '00400004',
  '00400005',
  '00400006',
  '00400007',
  '0040000B',
  '00400010',
  '00400011',
  '00400241',
  '00400242',
  '00400243',
  '00400244',
  '00400245',
  '00400250',
  '00400251',
  '00400253',
  '00400254',
  '00400275',
  '00400280',
  '00400555',
  '00401001',
  '00401004',
  '00401005',
  '00401010',
  '00401011',
  '00401102',
  '00401103',
  '00401400',
  '00402001',
  '00402008',
  '00402009',
  '00402010',
  '00402016',
  '00402017',
  '00402400',
  '00403001',
  '0040A027',
  '0040A073',
  '0040A075',
  '0040A078',
  '0040A07A',
  '0040A07C',
  '0040A088',
  '0040A123',
  '0040A730',
  // content creator, media topic, icon
  '00700084',
  '00700086',
  '00880200',
  '00880904',
  '00880906',
  '00880910',
  '00880912',
  // interpretation and results, RT reviewers
  '40000010',
  '40084000',
  '40080040',
  '40080042',
  '4008010C',
  '40080114',
  '40080119',
  '4008011A',
  '40080202',
  '40080300',
  '300E0008',
  '300600A6',
  '04000561',
];

const DICOM_TAG = /^[0-9a-f]{8}$/i;
const MAX_JUDGED = 4096;

/**
 * Whether `text` may hold something the core's `redactText` patterns match: an Aura credential
 * prefix, an auth scheme, a JWT, a 64-digit hex run, a named secret, URL user info or a query.
 * A superset of those patterns' own triggers, so a `false` is always safe. One case-blind
 * regular expression (a single native scan), not a lowercased copy searched once per hint: it
 * runs on every header value of every request. Letters are spelt as classes rather than with
 * the `i` flag (twice as fast in V8); the Aura prefixes and `eyJ` are matched case-sensitively,
 * as `redactText` itself matches them.
 */
const CREDENTIAL_HINT =
  /au(?:ra|bt|lift)_|eyJ|[Bb](?:[Ee][Aa][Rr][Ee][Rr]|[Aa][Ss][Ii][Cc])|[Kk][Ee][Yy]|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]|[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]|[Cc][Oo][Oo][Kk][Ii][Ee]|:\/\/|[?&]/;
function mayHoldCredential(text: string): boolean {
  if (CREDENTIAL_HINT.test(text)) return true;
  return text.length >= 64 && hasHexRun(text, 64);
}

/** The characters `JSON.stringify` escapes in a string (quote, backslash, controls, surrogates). */
const JSON_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)`, without its cost for the usual string that needs no escape. */
export function jsonString(text: string): string {
  return JSON_ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * One scan that answers both questions a header value raises: may it hold a credential, and
 * does JSON need to escape it. A value that matches neither (nor is a long hex run) is written
 * into the event as it is.
 */
const NEEDS_CARE = new RegExp(`${CREDENTIAL_HINT.source}|${JSON_ESCAPED.source}`);

/** A key `JSON.stringify` would move (array indices come first) or drop (`__proto__`). */
const UNORDERED_KEY = /^(?:0|[1-9][0-9]*)$|^__proto__$/;

/** Whether `text` holds `length` hexadecimal digits in a row (a linear scan). */
function hasHexRun(text: string, length: number): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20; // ASCII letters folded to lowercase
    const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
    run = hex ? run + 1 : 0;
    if (run >= length) return true;
  }
  return false;
}
const MAX_DEPTH = 32;
const MAX_ITEMS = 1000;

/** The words of a name: split at anything not a letter or digit, and at camelCase humps. */
function segments(name: string): string[] {
  return name
    .split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/)
    .map((word) => word.toLowerCase())
    .filter((word) => word !== '');
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Header names from `AURA_CAPTURE_SENSITIVE_HEADERS` (comma-separated, like otas's). */
export function sensitiveHeadersFromEnv(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

/** What a header name comes to, judged once per name. */
interface JudgedHeader {
  /** Lowercase, value patterns masked. */
  name: string;
  masked: boolean;
  /** `"name":`, when the name can be written into JSON as it is (lowercase, in place). */
  key: string | undefined;
  /**
   * Values of this header already written and found clean (nothing masked, nothing escaped):
   * the same value is written again without scanning it. `null`: values of this header rarely
   * repeat (a nonce, a timestamp), so they are not remembered.
   */
  clean: Set<string> | null | undefined;
  /** Lookups of `clean` that found the value, and that did not. */
  hits: number;
  misses: number;
}

/**
 * Bounds of the clean-value memory: values up to this length, this many per header, for this
 * many headers at most (a few hundred KiB at worst). Only values that needed no mask are kept,
 * so no credential is held longer than its request.
 */
const CLEAN_VALUE_MAX_LENGTH = 256;
const CLEAN_VALUES_PER_HEADER = 32;
const CLEAN_VALUE_HEADERS = 64;
/** After this many misses, a header that hits less than one lookup in four stops remembering. */
const CLEAN_VALUE_TRIAL = 64;

const REDACTED_JSON = JSON.stringify(REDACTED);

export interface CaptureRedactor {
  /**
   * `JSON.stringify(headers(h))`, written in the same pass as the redaction: the headers are
   * most of an event, and most of their values need neither a mask nor an escape.
   */
  headersJson(headers: Record<string, string | string[] | number | undefined>): string;
  headers(
    headers: Record<string, string | string[] | number | undefined>,
  ): Record<string, string | string[]>;
  /** The query of a request target, as `{ name: value | values }`, redacted. */
  query(search: string): Record<string, unknown>;
  /** A parsed JSON (or form) body, redacted. */
  body(value: unknown): unknown;
  /** A free string: value patterns only. */
  text(value: string): string;
  /**
   * A request path: value patterns, and the segments a route template names with a sensitive
   * parameter (`/patients/:patientId` masks the id, `/things/:thingId` keeps it).
   */
  path(path: string, route: string | null): string;
}

/** A redactor for the given options and the header names from the environment. */
export function createRedactor(
  options: CaptureRedactOptions = {},
  envHeaders: readonly string[] = [],
): CaptureRedactor {
  const sensitiveHeaders = new Set(
    [...DEFAULT_SENSITIVE_HEADERS, ...envHeaders, ...(options.headers ?? [])].map((h) =>
      h.trim().toLowerCase(),
    ),
  );
  const fields = new Set(
    [...DEFAULT_SENSITIVE_FIELDS, ...(options.fields ?? [])].map(normalize).filter(Boolean),
  );
  const allowOnly =
    options.allowOnly === undefined ? undefined : new Set(options.allowOnly.map(normalize));
  const patterns = (options.patterns ?? []).map((pattern) =>
    typeof pattern === 'string'
      ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g')
      : new RegExp(
          pattern.source,
          pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`,
        ),
  );
  const phiTags = new Set(DICOM_PHI_TAGS.map(normalize));

  const text = (value: string): string => {
    // Most strings hold nothing the patterns look for: one cheap scan spares the full set.
    let out = mayHoldCredential(value) ? redactText(value) : value;
    for (const pattern of patterns) out = out.replace(pattern, REDACTED);
    return out;
  };

  // Names repeat (the same headers and fields on every request): each is judged once.
  const judged = new Map<string, boolean>();
  const sensitiveName = (name: string): boolean => {
    const known = judged.get(name);
    if (known !== undefined) return known;
    const verdict = judgeName(name);
    // Bounded: a flood of distinct names (random keys) only costs the judging.
    if (judged.size >= MAX_JUDGED) judged.clear();
    judged.set(name, verdict);
    return verdict;
  };

  const judgeName = (name: string): boolean => {
    const whole = normalize(name);
    if (whole === '') return false;
    if (fields.has(whole)) return true;
    if (SENSITIVE_FIELD_PARTS.some((part) => whole.includes(part))) return true;
    if (DICOM_TAG.test(whole) && sensitiveTag(whole)) return true;
    // Each word counts on its own: `x-mrn-2`, `patient[name]`, `filter.given`, `homePhone`.
    return segments(name).some(
      (segment) => fields.has(segment) || (DICOM_TAG.test(segment) && sensitiveTag(segment)),
    );
  };

  const sensitiveTag = (tag: string): boolean => {
    if (tag.startsWith('0010')) return true;
    // Private groups (odd group numbers) may hold anything: the Basic Profile removes them.
    if (Number.parseInt(tag.slice(0, 4), 16) % 2 === 1) return true;
    return phiTags.has(tag);
  };

  // Header names repeat on every request: each is judged (and scanned) once.
  const headerNames = new Map<string, JudgedHeader>();
  let cleanValueHeaders = 0;

  /**
   * Whether `value` of this header was written before and needed nothing: a value seen again
   * (a host, a user agent, a content type) skips the scan.
   */
  const knownClean = (judged: JudgedHeader, value: string): boolean => {
    const clean = judged.clean;
    if (clean === null || clean === undefined) return false;
    if (clean.has(value)) {
      judged.hits++;
      return true;
    }
    judged.misses++;
    if (judged.misses >= CLEAN_VALUE_TRIAL && judged.hits * 3 < judged.misses) {
      // Values that do not repeat: remembering them costs more than it spares.
      judged.clean = null;
    }
    return false;
  };

  const rememberClean = (judged: JudgedHeader, value: string): void => {
    if (judged.clean === null || value.length > CLEAN_VALUE_MAX_LENGTH) return;
    if (judged.clean === undefined) {
      if (cleanValueHeaders >= CLEAN_VALUE_HEADERS) return;
      cleanValueHeaders++;
      judged.clean = new Set();
    }
    if (judged.clean.size >= CLEAN_VALUES_PER_HEADER) judged.clean.clear();
    judged.clean.add(value);
  };
  const headerName = (rawName: string): JudgedHeader => {
    const known = headerNames.get(rawName);
    if (known !== undefined) return known;
    const name = rawName.toLowerCase();
    const redactedName = text(name);
    const judged: JudgedHeader = {
      name: redactedName,
      masked:
        sensitiveHeaders.has(name) || sensitiveName(name.startsWith('x-') ? name.slice(2) : name),
      // Written straight into JSON only when the object would hold it unchanged, in place.
      key:
        redactedName === rawName && !UNORDERED_KEY.test(rawName)
          ? `${jsonString(rawName)}:`
          : undefined,
      clean: undefined,
      hits: 0,
      misses: 0,
    };
    if (headerNames.size >= MAX_JUDGED) {
      headerNames.clear();
      cleanValueHeaders = 0;
    }
    headerNames.set(rawName, judged);
    return judged;
  };

  // Route templates repeat on every request: which of their segments name a sensitive
  // parameter is worked out once (`undefined`: none does, the path is kept as scanned).
  const routes = new Map<string, readonly boolean[] | undefined>();
  const sensitiveSegments = (route: string): readonly boolean[] | undefined => {
    if (routes.has(route)) return routes.get(route);
    const flags = route.split('/').map((name) => {
      const param = /^:([A-Za-z0-9_]+)/.exec(name);
      return param !== null && sensitiveName(param[1]!);
    });
    const verdict = flags.includes(true) ? flags : undefined;
    if (routes.size >= MAX_JUDGED) routes.clear();
    routes.set(route, verdict);
    return verdict;
  };

  const redactHeaders: CaptureRedactor['headers'] = (headers) => {
    const out: Record<string, string | string[]> = {};
    for (const rawName in headers) {
      if (!Object.hasOwn(headers, rawName)) continue;
      const value = headers[rawName];
      if (value === undefined) continue;
      const { name, masked } = headerName(rawName);
      out[name] = Array.isArray(value)
        ? value.map((item) => (masked ? REDACTED : text(String(item))))
        : masked
          ? REDACTED
          : text(String(value));
    }
    return out;
  };

  const allowed = (name: string): boolean =>
    allowOnly === undefined ||
    allowOnly.has(normalize(name)) ||
    name.split(/[[\].]+/).some((part) => allowOnly.has(normalize(part)));

  /** A copy of `value` with sensitive names masked, strings scanned, depth and size bounded. */
  const walk = (value: unknown, depth: number, kept: boolean): unknown => {
    if (typeof value === 'string') return kept ? text(value) : REDACTED;
    if (value === null || typeof value === 'boolean' || typeof value === 'number') {
      return kept ? value : REDACTED;
    }
    if (typeof value !== 'object') return REDACTED;
    // Deeper than any real document: masked whole rather than scanned without bound.
    if (depth >= MAX_DEPTH) return REDACTED;
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_ITEMS).map((item) => walk(item, depth + 1, kept));
      if (value.length > MAX_ITEMS) items.push('[truncated]');
      return items;
    }
    const record = value as Record<string, unknown>;
    // A DICOM JSON attribute holding a person name, whatever its tag.
    if (record.vr === 'PN') return REDACTED;
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const key of Object.keys(record)) {
      if (count++ >= MAX_ITEMS) break;
      const item = record[key];
      const name = text(key);
      if (sensitiveName(key)) out[name] = REDACTED;
      else out[name] = walk(item, depth + 1, kept || allowed(key));
    }
    return out;
  };

  return {
    headersJson(headers) {
      let out = '';
      for (const rawName in headers) {
        if (!Object.hasOwn(headers, rawName)) continue;
        const value = headers[rawName];
        if (value === undefined) continue;
        const judged = headerName(rawName);
        // A name that is not lowercase may meet its twin (`Accept`, `accept`): the object
        // decides which stays, as it always has.
        if (judged.key === undefined) return JSON.stringify(redactHeaders(headers));
        let json: string;
        if (judged.masked) {
          json = Array.isArray(value) ? JSON.stringify(value.map(() => REDACTED)) : REDACTED_JSON;
        } else if (Array.isArray(value)) {
          json = JSON.stringify(value.map((item) => text(String(item))));
        } else {
          const item = typeof value === 'string' ? value : String(value);
          if (patterns.length > 0) json = jsonString(text(item));
          else if (knownClean(judged, item)) json = `"${item}"`;
          else if (!NEEDS_CARE.test(item) && (item.length < 64 || !hasHexRun(item, 64))) {
            json = `"${item}"`;
            rememberClean(judged, item);
          } else json = jsonString(text(item));
        }
        out += out === '' ? `{${judged.key}${json}` : `,${judged.key}${json}`;
      }
      return out === '' ? '{}' : `${out}}`;
    },
    headers: redactHeaders,
    query(search) {
      const out: Record<string, unknown> = {};
      const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
      let count = 0;
      for (const [key, value] of params) {
        if (count++ >= MAX_ITEMS) break;
        const masked = sensitiveName(key) || !allowed(key);
        const item = masked ? REDACTED : text(value);
        const name = text(key);
        const before = out[name];
        if (before === undefined) out[name] = item;
        else if (Array.isArray(before)) before.push(item);
        else out[name] = [before, item];
      }
      return out;
    },
    body(value) {
      return walk(value, 0, allowOnly === undefined);
    },
    text,
    path(path, route) {
      const scanned = text(path);
      if (route === null) return scanned;
      const sensitive = sensitiveSegments(route);
      if (sensitive === undefined) return scanned;
      const parts = scanned.split('/');
      // Only a template that lines up segment for segment (no wildcard) says which is which.
      if (sensitive.length !== parts.length) return scanned;
      for (let i = 0; i < parts.length; i++) {
        if (sensitive[i] === true && parts[i] !== '') parts[i] = REDACTED;
      }
      return parts.join('/');
    },
  };
}
