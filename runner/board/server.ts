import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { loadLessons } from '../lesson/load.js';
import { say } from '../i18n/messages.js';
import { lessonsDir } from '../paths.js';
import { boardPage } from './page.js';
import { BoardStore, FINISHED, MODES, freshReports, type Learner, type Report } from './store.js';
import { classCsv, classView, type ClassView, type CourseChapter } from './view.js';

/**
 * The instructor board's HTTP server. Two secrets: the join code, printed for the class, lets a learner
 * join and get a token of its own (which then reports and reads broadcasts for that learner only); the
 * instructor key, in the board's URL, opens the page, the class's state, broadcasts and the export.
 * Every body is checked against a JSON schema (extra fields and wrong types refused, nothing coerced),
 * bounded in size, and rate-limited per learner; whatever is accepted is on disk before the answer.
 */

export interface BoardOptions {
  /** The address to listen on, and only that one. */
  host: string;
  /** 0: any free port (the result says which). */
  port: number;
  /** Where the event log lives. */
  dir: string;
  className: string;
  /** Same step with failing checks for this long: stuck. */
  stuckAfterMs: number;
  /** The lessons whose chapters and steps reports may name. */
  lessons?: string;
  /** Largest request body, bytes. */
  bodyLimit?: number;
  /** Requests per learner (or, before joining, per address) per minute. */
  ratePerMinute?: number;
  /** Told of a failure of the board's own (answered 500, without details). */
  onError?: (error: unknown) => void;
  /** Fixed secrets, for a board restarted on the same log: learners keep their code, the instructor the URL. */
  code?: string;
  instructorKey?: string;
  /** The chapter the page and the terminal view show first (else the one most learners report on). */
  chapter?: string;
}

export interface Board {
  /** The base address learners use. */
  url: string;
  /** The page, with the instructor key: for the instructor only. */
  boardUrl: string;
  code: string;
  instructorKey: string;
  /** What to show the class: `swarm-workshop join URL CODE`. */
  joinLine: string;
  host: string;
  port: number;
  /** What the store said at start (a cut-off last record...). */
  notices: string[];
  /** The class as the page sees it now. */
  view(): ClassView;
  /** Told (at most every quarter second) when the class changes; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  /** The server itself, for tests that need its parts. */
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Limits of what a learner may send; the reporter keeps within them. */
export const LIMITS = {
  name: 40,
  title: 200,
  message: 500,
  id: 64,
  handText: 200,
  broadcastText: 300,
  batch: 100,
  bodyBytes: 16 * 1024,
  /** A report older than this when sent (learner's clock) is refused: the reporter drops sooner. */
  ageMs: 24 * 60 * 60_000,
  learners: 500,
} as const;

/** What the board answers with a refusal, in the board's language (the learner's runner shows it). */
const text = {
  get badCode() {
    return say('board.server.badCode');
  },
  get noToken() {
    return say('board.server.noToken');
  },
  get badToken() {
    return say('board.server.badToken');
  },
  get notInstructor() {
    return say('board.server.notInstructor');
  },
  get badName() {
    return say('board.server.badName', { max: LIMITS.name });
  },
  unknownStep: (chapter: string, step: string) => say('board.server.unknownStep', { chapter, step }),
  unknownChapter: (chapter: string) => say('board.server.unknownChapter', { chapter }),
  get future() {
    return say('board.server.future');
  },
  get full() {
    return say('board.server.full');
  },
  get noHand() {
    return say('board.server.noHand');
  },
  get internal() {
    return say('board.server.internal');
  },
};

const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';

/** A join code: ten characters from an alphabet without look-alikes (no I/1, O/0), read aloud easily. */
export function newJoinCode(): string {
  return [...randomBytes(10)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();
/** Compare secrets in constant time: digests have the same length whatever was sent. */
const sameSecret = (given: string, secret: string) => timingSafeEqual(sha256(given), sha256(secret));
const normalizeCode = (code: string) => code.toUpperCase().replace(/[\s-]/g, '');

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

// Control characters and the bidirectional overrides that could make a name read as something else.
const NAME = `^[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]{1,${LIMITS.name}}$`;
const id = { type: 'string', minLength: 1, maxLength: LIMITS.id, pattern: '^[A-Za-z0-9._/-]+$' } as const;
const time = { type: 'integer', minimum: 0, maximum: 8.64e15 } as const;
const seq = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const str = (max: number) => ({ type: 'string', maxLength: max }) as const;
const report = (type: string, properties: Record<string, object>) => ({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'seq', 'at', 'chapter', ...Object.keys(properties)],
  properties: { type: { const: type }, seq, at: time, chapter: id, ...properties },
});

const schemas = {
  join: {
    type: 'object',
    additionalProperties: false,
    required: ['code', 'name'],
    properties: { code: { type: 'string', minLength: 1, maxLength: 64 }, name: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  events: {
    type: 'object',
    additionalProperties: false,
    required: ['session', 'sentAt', 'reports'],
    properties: {
      session: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' },
      sentAt: time,
      reports: {
        type: 'array',
        minItems: 1,
        maxItems: LIMITS.batch,
        items: {
          type: 'object',
          // One clear error for an unknown type, rather than one per kind of report it is not.
          discriminator: { propertyName: 'type' },
          required: ['type'],
          oneOf: [
            report('step-started', { step: id }),
            report('check', { step: id, check: id, title: str(LIMITS.title), ok: { type: 'boolean' }, expected: str(LIMITS.message), actual: str(LIMITS.message) }),
            report('step-finished', { step: id, status: { enum: [...FINISHED] }, durationMs: { type: 'integer', minimum: 0, maximum: LIMITS.ageMs } }),
            report('mode', { mode: { enum: [...MODES] } }),
          ],
        },
      },
    },
  },
  broadcastsQuery: {
    type: 'object',
    additionalProperties: false,
    properties: { since: { type: 'string', pattern: '^[0-9]{1,9}$' } },
  },
  instructorQuery: {
    type: 'object',
    additionalProperties: false,
    properties: { key: { type: 'string', maxLength: 200 } },
  },
  hand: {
    type: 'object',
    additionalProperties: false,
    // Where the learner is, when the UI knows: the chapter and the step on screen.
    properties: { text: str(LIMITS.handText), chapter: id, step: id },
  },
  broadcast: {
    type: 'object',
    additionalProperties: false,
    required: ['text'],
    properties: { text: { type: 'string', minLength: 1, maxLength: LIMITS.broadcastText } },
  },
  handParams: {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: { type: 'string', pattern: '^[0-9]{1,9}$' } },
  },
} as const;

/** A 4xx with a message for the client, thrown from a handler. */
class Refused extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The address to print for learners: a wildcard address is not one they can reach, this machine's LAN one is. */
function reachableHost(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  return lan?.address ?? host;
}

/**
 * The join code and instructor key, kept beside the log (mode 0600): a board restarted on the same folder
 * keeps its learners' code and the instructor's URL.
 */
function secrets(options: BoardOptions): { code: string; instructorKey: string } {
  const file = join(options.dir, 'secrets.json');
  let saved: { code?: unknown; instructorKey?: unknown } = {};
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as typeof saved;
  } catch {
    // Missing or damaged: new secrets (learners already joined keep their tokens, which the log holds).
  }
  const code = options.code ?? (typeof saved.code === 'string' && saved.code ? saved.code : newJoinCode());
  const instructorKey = options.instructorKey ?? (typeof saved.instructorKey === 'string' && saved.instructorKey ? saved.instructorKey : randomBytes(24).toString('base64url'));
  if (code !== saved.code || instructorKey !== saved.instructorKey) {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, JSON.stringify({ code, instructorKey }), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
  return { code: normalizeCode(code), instructorKey };
}

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

const courseFrom = (dir: string): CourseChapter[] =>
  loadLessons(dir).chapters.map((c) => ({ id: c.id, title: c.title, steps: c.steps.map((s) => ({ id: s.id, title: s.title })) }));

export async function startBoard(options: BoardOptions): Promise<Board> {
  const course = courseFrom(options.lessons ?? lessonsDir);
  const steps = new Map(course.map((c) => [c.id, new Set(c.steps.map((s) => s.id))]));
  const { code, instructorKey } = secrets(options);
  const store = new BoardStore(options.dir);
  const ratePerMinute = options.ratePerMinute ?? 240;

  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? LIMITS.bodyBytes,
    // Refuse what the schema does not say rather than repair it: an extra field (another learner's id)
    // or a wrong type is a bad report, not something to strip or coerce.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, discriminator: true } },
    requestTimeout: 10_000,
    forceCloseConnections: true,
  });
  app.addHook('onClose', async () => store.close());
  await app.register(rateLimit, { global: false });

  const learnerFor = (request: FastifyRequest): Learner => {
    const token = bearer(request);
    if (!token) throw new Refused(401, text.noToken);
    const learner = store.state.learners.get(store.state.byToken.get(sha256(token).toString('hex')) ?? '');
    if (!learner) throw new Refused(401, text.badToken);
    return learner;
  };
  // The page trades the key in its URL for a cookie and takes the key out of the address bar: the board
  // is on a projector, the key must not be.
  let cookieName = 'swb_board';
  const instructor = (request: FastifyRequest) => {
    const given = bearer(request) ?? (request.query as { key?: string }).key ?? cookie(request, cookieName) ?? '';
    if (!sameSecret(given, instructorKey)) throw new Refused(401, text.notInstructor);
  };
  // Who is asking is settled first, before the body is read or checked: a stranger learns nothing of the
  // schemas, and a stranger's large body is not read.
  const authenticated = new WeakMap<FastifyRequest, Learner>();
  const asLearner = { onRequest: async (request: FastifyRequest) => void authenticated.set(request, learnerFor(request)) };
  const asInstructor = { onRequest: async (request: FastifyRequest) => instructor(request) };
  const learnerOf = (request: FastifyRequest) => authenticated.get(request)!;

  // Per learner: the token's hash (a learner cannot spend another's budget without its token); before
  // joining, or with a token the board does not know, per address.
  const perLearner = {
    rateLimit: {
      max: ratePerMinute,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest) => {
        const token = bearer(request);
        const hash = token ? sha256(token).toString('hex') : '';
        // A made-up token counts against its address, or new ones would each get a fresh budget.
        return store.state.byToken.has(hash) ? `t:${hash}` : `ip:${request.ip}`;
      },
    },
  };

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) options.onError?.(error);
    void reply.code(status).send({ error: status === 500 ? text.internal : error.message });
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  // The live page's stream: a snapshot at connection, then one at most every quarter second while the
  // class changes, and a comment now and then so that proxies keep the connection.
  const streams = new Set<ServerResponse>();
  const listeners = new Set<() => void>();
  const snapshot = () => classView(store.state, course, options.className, options.stuckAfterMs);
  const push = (res: ServerResponse) => res.write(`event: class\ndata: ${JSON.stringify(snapshot())}\n\n`);
  let pending: NodeJS.Timeout | undefined;
  const changed = () => {
    if (pending || (!streams.size && !listeners.size)) return;
    pending = setTimeout(() => {
      pending = undefined;
      for (const res of streams) push(res);
      for (const listener of listeners) listener();
    }, 250);
  };
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': still here\n\n');
  }, 15_000);
  heartbeat.unref();
  app.addHook('preClose', async () => {
    clearInterval(heartbeat);
    clearTimeout(pending);
    for (const res of streams) res.end();
    streams.clear();
    listeners.clear();
  });

  app.post('/api/join', { schema: { body: schemas.join }, config: perLearner }, async (request) => {
    const body = request.body as { code: string; name: string };
    if (!sameSecret(normalizeCode(body.code), code)) throw new Refused(403, text.badCode);
    const name = body.name.trim();
    if (!new RegExp(NAME, 'u').test(name)) throw new Refused(400, text.badName);
    if (store.state.learners.size >= LIMITS.learners) throw new Refused(409, text.full);
    const token = randomBytes(32).toString('base64url');
    const learner = `l${randomBytes(6).toString('hex')}`;
    store.append({ kind: 'join', at: Date.now(), learner, name, tokenHash: sha256(token).toString('hex') });
    changed();
    return { learner, token, name, className: options.className };
  });

  app.post('/api/events', { schema: { body: schemas.events }, config: perLearner, ...asLearner }, async (request) => {
    const learner = learnerOf(request);
    const body = request.body as { session: string; sentAt: number; reports: Report[] };
    const now = Date.now();
    // Times come on the learner's clock: keep each report's age at sending, set on the board's clock.
    const reports = body.reports.map((r): Report => {
      const known = steps.get(r.chapter);
      if (!known) throw new Refused(400, text.unknownChapter(r.chapter));
      if (r.type !== 'mode' && !known.has(r.step)) throw new Refused(400, text.unknownStep(r.chapter, r.step));
      const age = body.sentAt - r.at;
      if (age < 0 || age > LIMITS.ageMs) throw new Refused(400, text.future);
      return { ...r, at: Math.max(0, now - age) };
    });
    const fresh = freshReports(learner, body.session, reports);
    if (fresh.length) {
      store.append({ kind: 'reports', at: now, learner: learner.id, session: body.session, reports: fresh });
      changed();
    }
    return { accepted: fresh.length, repeated: reports.length - fresh.length };
  });

  app.get('/api/broadcasts', { schema: { querystring: schemas.broadcastsQuery }, config: perLearner, ...asLearner }, async (request) => {
    const since = Number((request.query as { since?: string }).since ?? 0);
    const broadcasts = store.state.broadcasts.filter((b) => b.id > since);
    // The learner's own last hand, so that their screen can say when the instructor has taken it down.
    const learner = learnerOf(request);
    const hand = store.state.hands.filter((h) => h.learner === learner.id).at(-1);
    return { broadcasts, last: store.state.broadcasts.at(-1)?.id ?? 0, ...(hand ? { hand: { id: hand.id, resolved: hand.resolvedAt !== undefined } } : {}) };
  });

  app.post('/api/hand', { schema: { body: schemas.hand }, config: perLearner, ...asLearner }, async (request) => {
    const learner = learnerOf(request);
    const open = store.state.hands.find((h) => h.learner === learner.id && h.resolvedAt === undefined);
    // A second press while the hand is up keeps the learner's place in the queue.
    if (open) return { id: open.id, already: true };
    const id = (store.state.hands.at(-1)?.id ?? 0) + 1;
    const body = (request.body ?? {}) as { text?: string; chapter?: string; step?: string };
    store.append({ kind: 'hand', at: Date.now(), id, learner: learner.id, text: (body.text ?? '').trim(), ...(body.chapter ? { chapter: body.chapter } : {}), ...(body.step ? { step: body.step } : {}) });
    changed();
    return { id, already: false };
  });

  app.get('/', { schema: { querystring: schemas.instructorQuery }, ...asInstructor }, async (request, reply) => {
    reply.header('set-cookie', `${cookieName}=${instructorKey}; HttpOnly; SameSite=Strict; Path=/`);
    const nonce = randomBytes(16).toString('base64');
    // Nothing from elsewhere, and no script but the page's own: a name that slipped past the page's
    // escaping still could not run.
    reply.header('content-security-policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    reply.type('text/html; charset=utf-8');
    return boardPage({ className: options.className, nonce, chapter: options.chapter });
  });

  app.get('/api/class', { schema: { querystring: schemas.instructorQuery }, ...asInstructor }, async (request) => {
    return snapshot();
  });

  app.get('/api/stream', { schema: { querystring: schemas.instructorQuery }, ...asInstructor }, async (request, reply: FastifyReply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    streams.add(res);
    res.on('close', () => streams.delete(res));
    push(res);
  });

  app.post('/api/broadcast', { schema: { body: schemas.broadcast, querystring: schemas.instructorQuery }, ...asInstructor }, async (request) => {
    const id = (store.state.broadcasts.at(-1)?.id ?? 0) + 1;
    store.append({ kind: 'broadcast', at: Date.now(), id, text: (request.body as { text: string }).text.trim() });
    changed();
    return { id };
  });

  app.post('/api/hand/:id/resolve', { schema: { params: schemas.handParams, querystring: schemas.instructorQuery }, ...asInstructor }, async (request) => {
    const id = Number((request.params as { id: string }).id);
    const hand = store.state.hands.find((h) => h.id === id);
    if (!hand) throw new Refused(404, text.noHand);
    if (hand.resolvedAt === undefined) {
      store.append({ kind: 'resolve', at: Date.now(), id });
      changed();
    }
    return { id, resolvedAt: hand.resolvedAt };
  });

  app.get('/export.csv', { schema: { querystring: schemas.instructorQuery }, ...asInstructor }, async (request, reply) => {
    reply.type('text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="${options.className.replace(/[^A-Za-z0-9._-]/g, '_') || 'class'}.csv"`);
    return classCsv(store.state, course);
  });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  // Cookies do not tell ports apart: two boards on one machine keep their own.
  cookieName = `swb_${port}`;
  const url = `http://${urlHost(reachableHost(options.host))}:${port}`;
  return {
    url,
    boardUrl: `${url}/?key=${instructorKey}`,
    code,
    instructorKey,
    joinLine: `swarm-workshop join ${url} ${code}`,
    host: options.host,
    port,
    notices: store.notices,
    view: snapshot,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    app,
    close: () => app.close(),
  };
}
