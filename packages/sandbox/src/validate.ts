/** Laravel-style field checks: each adds `errors[field]` messages worded as Laravel words them. */
export class Validator {
  readonly errors: Record<string, string[]> = {};

  constructor(private readonly body: Record<string, unknown>) {}

  get failed(): boolean {
    return Object.keys(this.errors).length > 0;
  }

  add(field: string, message: string): void {
    const list = this.errors[field] ?? [];
    list.push(message);
    this.errors[field] = list;
  }

  has(field: string): boolean {
    const value = this.body[field];
    return value !== undefined && value !== null;
  }

  required(field: string): boolean {
    const value = this.body[field];
    const empty =
      value === undefined ||
      value === null ||
      (typeof value === 'string' && value.trim() === '') ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
    if (empty) this.add(field, `The ${label(field)} field is required.`);
    return !empty;
  }

  string(field: string, max = 65_535): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.add(field, `The ${label(field)} field must be a string.`);
      return undefined;
    }
    if (value.length > max) {
      this.add(field, `The ${label(field)} field must not be greater than ${max} characters.`);
      return undefined;
    }
    return value;
  }

  integer(field: string, min: number, max: number): number | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      this.add(field, `The ${label(field)} field must be an integer.`);
      return undefined;
    }
    if (value < min) {
      this.add(field, `The ${label(field)} field must be at least ${min}.`);
      return undefined;
    }
    if (value > max) {
      this.add(field, `The ${label(field)} field must not be greater than ${max}.`);
      return undefined;
    }
    return value;
  }

  object(field: string): Record<string, unknown> | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.add(field, `The ${label(field)} field must be an object.`);
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  uuidV4(field: string): string | undefined {
    const value = this.string(field);
    if (value === undefined) return undefined;
    if (!UUID_V4.test(value)) {
      this.add(field, `The ${label(field)} field must be a valid UUID (version 4).`);
      return undefined;
    }
    return value.toLowerCase();
  }
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

function label(field: string): string {
  return field.replace(/_/g, ' ');
}
