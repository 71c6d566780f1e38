// The playground page: a JavaScript module, no build step. The partner server (same origin)
// signs in the demo user and holds the Aura secret; Aura itself (the sandbox) is called from
// here only with the upload token and the service API key, as the vendor's widget does.

const $ = (selector) => document.querySelector(selector);

/** Chunks of the tus upload; small enough that a progress bar moves and a pause lands. */
const CHUNK_BYTES = 256 * 1024;
const SLOW_CHUNK_DELAY_MS = 300;

const state = {
  apiBaseUrl: '',
  apiKey: '',
  user: null,
  token: null,
  uploadId: null,
  /** The tus upload in flight, for pause and resume. */
  current: null,
  paused: false,
  /** Counts pauses, so a chunk that was waiting when one came knows not to go. */
  generation: 0,
};

// ---------------------------------------------------------------------------------------------
// Steps: every call the page makes is shown with its request and its answer.

function masked(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (/^authorization$/i.test(name)) out[name] = `${value.slice(0, 17)}…`;
    else if (/^x-api-key$/i.test(name)) out[name] = `${value.slice(0, 8)}…`;
    else out[name] = value;
  }
  return out;
}

function pretty(value) {
  if (value === undefined || value === null || value === '') return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function addStep(title, request) {
  const item = document.createElement('li');
  item.className = 'step';
  item.dataset.state = 'pending';
  const heading = document.createElement('h3');
  heading.textContent = title;
  const req = document.createElement('pre');
  req.className = 'request';
  req.textContent = [
    `${request.method} ${request.url}`,
    ...Object.entries(masked(request.headers)).map(([n, v]) => `${n}: ${v}`),
    request.body === undefined ? '' : `\n${pretty(request.body)}`,
  ]
    .join('\n')
    .trim();
  const answer = document.createElement('pre');
  answer.className = 'answer';
  answer.textContent = '…';
  item.append(heading, req, answer);
  $('#step-list').prepend(item);
  return {
    done(status, body) {
      item.dataset.state = status >= 200 && status < 300 ? 'ok' : 'failed';
      item.dataset.status = String(status);
      answer.textContent = `${status}\n${pretty(body)}`.trim();
    },
    failed(message) {
      item.dataset.state = 'failed';
      answer.textContent = message;
    },
  };
}

class CallFailed extends Error {}

/** A JSON call, shown as a step; throws `CallFailed` on anything but a 2xx. */
async function call(title, method, url, { headers = {}, body } = {}) {
  const sentHeaders = { ...headers };
  if (body !== undefined) sentHeaders['Content-Type'] = 'application/json';
  const step = addStep(title, { method, url, headers: sentHeaders, body });
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: sentHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (error) {
    step.failed(`no answer: ${error.message}`);
    throw new CallFailed(`${title}: no answer (${error.message})`);
  }
  const text = await response.text();
  let parsed = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {}
  step.done(response.status, parsed);
  if (!response.ok) {
    const reason = parsed?.error?.message ?? parsed?.message ?? `HTTP ${response.status}`;
    throw new CallFailed(`${title}: ${response.status} ${reason}`);
  }
  return parsed;
}

function setStatus(selector, text, stateName) {
  const element = $(selector);
  element.textContent = text;
  element.dataset.state = stateName;
}

/** Runs an action from a button, showing a failure where the person looks. */
function action(statusSelector, run) {
  return async (event) => {
    event?.preventDefault();
    try {
      await run();
    } catch (error) {
      setStatus(statusSelector, error.message, 'error');
    } finally {
      refreshTraffic().catch(() => {});
    }
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Sign in, 2. token: through the partner server.

function signedIn(user) {
  state.user = user;
  setStatus(
    '#user-status',
    user ? `Signed in as ${user.id}.` : 'Not signed in.',
    user ? 'signed-in' : 'signed-out',
  );
  $('#token-button').disabled = !user;
}

async function signIn() {
  const { user } = await call('Sign in (partner)', 'POST', '/demo/sign-in', {
    body: { name: $('#user-name').value },
  });
  signedIn(user);
}

async function getToken() {
  const token = await call(
    'Upload token (partner → Aura /auth/exchange)',
    'POST',
    '/api/aura/upload-token',
    {
      body: {},
    },
  );
  state.token = token;
  $('#token-value').textContent = token.token;
  const expires = new Date(token.expires_at);
  $('#token-expiry').textContent =
    `${expires.toLocaleString()} (in ${Math.round((expires - Date.now()) / 60000)} min)`;
  $('#token-scopes').textContent = token.scopes.join(', ');
  $('#token-details').hidden = false;
  $('#files').disabled = false;
  $('#upload-button').disabled = false;
  setStatus('#upload-status', 'Choose files, then Upload.', 'ready');
}

// ---------------------------------------------------------------------------------------------
// 3. Upload, as the vendor's widget does: straight to Aura with the upload token.

function auraHeaders() {
  return { 'X-Api-Key': state.apiKey, Authorization: `Bearer ${state.token.token}` };
}

function aura(title, method, path, body) {
  return call(title, method, `${state.apiBaseUrl}${path}`, { headers: auraHeaders(), body });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One file over tus; resolves when it has finished, whatever pauses came in between. */
function tusUpload(file, lift, onBytes) {
  return new Promise((resolve, reject) => {
    const step = addStep(`tus upload: ${file.name}`, {
      method: 'POST + PATCH',
      url: lift.endpoint,
      headers: { Authorization: `Bearer ${lift.token}`, 'Tus-Resumable': '1.0.0' },
      body: `${file.size} bytes in chunks of ${CHUNK_BYTES}; metadata upload_id=${state.uploadId}`,
    });
    const upload = new window.tus.Upload(file, {
      endpoint: lift.endpoint,
      chunkSize: CHUNK_BYTES,
      retryDelays: [0, 500, 1000, 2000],
      headers: { Authorization: `Bearer ${lift.token}` },
      metadata: {
        upload_id: state.uploadId,
        filename: file.name,
        filetype: file.type || 'application/octet-stream',
      },
      // A resumed page must not pick up another session's upload of the same file.
      storeFingerprintForResuming: false,
      onBeforeRequest: async (req) => {
        if (!$('#slow').checked || req.getMethod() !== 'PATCH') return;
        const generation = state.generation;
        await sleep(SLOW_CHUNK_DELAY_MS);
        // Paused during the wait: tus has aborted this request already, and sending it now
        // would go out without its headers. Refusing it here is what ends it quietly.
        if (generation !== state.generation) throw new Error('paused');
      },
      // The bar moves by what the server has accepted, so a pause never shows bytes it lost.
      onChunkComplete: (_size, accepted) => onBytes(accepted),
      onError: (error) => {
        step.failed(String(error.message ?? error));
        reject(new CallFailed(`tus upload of ${file.name}: ${error.message ?? error}`));
      },
      onSuccess: () => {
        step.done(204, { location: upload.url, bytes: file.size });
        resolve(upload.url);
      },
    });
    state.current = upload;
    upload.start();
  });
}

function setProgress(sent, total) {
  const percent = total === 0 ? 100 : Math.floor((sent / total) * 100);
  $('#progress').value = percent;
  $('#progress').dataset.percent = String(percent);
}

async function uploadFiles() {
  const files = [...$('#files').files];
  if (files.length === 0) throw new CallFailed('Choose at least one file first.');
  $('#upload-button').disabled = true;
  setStatus('#upload-status', 'Reading the uploader config…', 'working');

  const config = await aura('GET /uploader/config (widget → Aura)', 'GET', '/uploader/config');
  state.uploadId = crypto.randomUUID();
  const studyUid = `1.2.826.0.1.3680043.10.${Date.now()}`;
  await aura('init (widget → Aura)', 'POST', '/uploader/upload/init', {
    upload_id: state.uploadId,
    studies: {
      [studyUid]: {
        patient_name: 'DEMO^PATIENT',
        study_description: 'Playground upload',
        modalities: 'OT',
        files: files.length,
      },
    },
    mode: 'bulk',
    source: 'standalone-uploader',
    context: { referral_id: 'REF-PLAYGROUND' },
  });
  const assemblyId = crypto.randomUUID();
  await aura('start (widget → Aura)', 'POST', '/uploader/upload/start', {
    upload_id: state.uploadId,
    assembly_id: assemblyId,
    mode: 'uploader',
  });

  const total = files.reduce((sum, f) => sum + f.size, 0);
  let done = 0;
  $('#pause-button').disabled = false;
  for (const file of files) {
    setStatus('#upload-status', `Uploading ${file.name}…`, 'uploading');
    await tusUpload(file, config.lift, (sent) => setProgress(done + sent, total));
    done += file.size;
    setProgress(done, total);
  }
  state.current = null;
  $('#pause-button').disabled = true;
  $('#resume-button').disabled = true;

  await aura('complete (widget → Aura)', 'POST', '/uploader/upload/complete', {
    upload_id: state.uploadId,
    assembly_id: assemblyId,
    mode: 'uploader',
  });
  setStatus(
    '#upload-status',
    `Uploaded ${files.length} file${files.length === 1 ? '' : 's'} (${total} bytes); upload ${state.uploadId} complete.`,
    'complete',
  );
  $('#submit-button').disabled = false;
}

async function pause() {
  if (state.current === null) return;
  state.paused = true;
  state.generation += 1;
  await state.current.abort();
  addStep('pause', {
    method: '(tus)',
    url: state.current.url ?? '',
    body: 'upload.abort(): the offset stays on the server',
  }).done(200, {
    paused_at_percent: Number($('#progress').value),
  });
  $('#pause-button').disabled = true;
  $('#resume-button').disabled = false;
  setStatus('#upload-status', `Paused at ${$('#progress').value}%.`, 'paused');
}

function resume() {
  if (state.current === null) return;
  state.paused = false;
  addStep('resume', {
    method: '(tus)',
    url: state.current.url ?? '',
    body: 'upload.start(): HEAD for the offset, then PATCH from there',
  }).done(200, {
    resumed_at_percent: Number($('#progress').value),
  });
  state.current.start();
  $('#pause-button').disabled = false;
  $('#resume-button').disabled = true;
  setStatus('#upload-status', 'Uploading again…', 'uploading');
}

// ---------------------------------------------------------------------------------------------
// 4. Submit and withdraw: through the partner server again.

async function submit() {
  const answer = await call('Submit (partner → Aura)', 'POST', '/api/aura/submit', {
    body: { upload_id: state.uploadId, metadata: { note: 'from the playground' } },
  });
  setStatus('#manage-status', `Submitted: ${answer.status ?? 'ok'}.`, 'submitted');
  $('#submit-button').disabled = true;
  $('#withdraw-button').disabled = false;
}

async function withdraw() {
  const answer = await call('Withdraw (partner → Aura)', 'POST', '/api/aura/withdraw', {
    body: { upload_id: state.uploadId, reason: 'playground demo' },
  });
  setStatus('#manage-status', `Withdrawn: ${answer.status ?? 'ok'}.`, 'withdrawn');
  $('#withdraw-button').disabled = true;
}

// ---------------------------------------------------------------------------------------------
// What happened: traffic, the last signed exchange, faults, the inbound signed call.

function cells(row, values) {
  for (const value of values) {
    const td = document.createElement('td');
    if (value instanceof Node) td.append(value);
    else td.textContent = value;
    row.append(td);
  }
}

async function refreshTraffic() {
  const traffic = await fetch('/playground/traffic').then((r) => r.json());
  const log = $('#request-log tbody');
  log.replaceChildren();
  for (const entry of traffic.requests.slice(-60)) {
    const row = document.createElement('tr');
    row.dataset.status = String(entry.status);
    const note = [
      entry.fault ? `fault: ${entry.fault}` : '',
      entry.code ?? '',
      ...(entry.warnings ?? []),
    ]
      .filter(Boolean)
      .join('; ');
    cells(row, [entry.method, entry.path, String(entry.status), note]);
    log.append(row);
  }
  const captured = $('#captured tbody');
  captured.replaceChildren();
  for (const event of traffic.captured.slice(-40)) {
    const row = document.createElement('tr');
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    summary.textContent = 'headers and body';
    const pre = document.createElement('pre');
    pre.textContent = JSON.stringify({ request: event.request, response: event.response }, null, 2);
    details.append(summary, pre);
    cells(row, [
      event.method,
      event.path,
      String(event.status),
      event.user?.id ?? event.caller?.appId ?? '',
      details,
    ]);
    captured.append(row);
  }
}

async function showExchange() {
  const { exchange } = await fetch('/playground/last-exchange').then((r) => r.json());
  $('#exchange-details').hidden = false;
  if (exchange === null) {
    $('#exchange-line').textContent = 'No exchange yet: get an upload token first.';
    return;
  }
  $('#exchange-line').textContent = `${exchange.method} ${exchange.url} → ${exchange.status}; ${
    exchange.matchesAuthorization
      ? 'the signature matches the Authorization header sent'
      : 'the signature does NOT match the header sent'
  }`;
  $('#canonical-request').textContent = exchange.canonicalRequest;
  $('#string-to-sign').textContent = exchange.stringToSign;
  $('#signature').textContent = exchange.signature;
}

async function fault(kind) {
  const result = $('#fault-result');
  result.textContent = 'Planting the fault and calling…';
  const answer = await fetch('/playground/fault', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind }),
  }).then((r) => r.json());
  result.replaceChildren();
  const title = document.createElement('p');
  title.textContent = `${answer.what}: ${answer.outcome.ok ? 'the client retried and got through' : `the call failed: ${answer.outcome.message}`} (${answer.ms} ms)`;
  const list = document.createElement('ol');
  list.className = 'attempts';
  for (const attempt of answer.attempts) {
    const item = document.createElement('li');
    item.dataset.status = String(attempt.status);
    item.textContent = `${attempt.method} ${attempt.path} → ${attempt.status === 0 ? 'no answer' : attempt.status}${attempt.fault ? ` (fault: ${attempt.fault})` : ''}`;
    list.append(item);
  }
  result.dataset.kind = kind;
  result.dataset.outcome = answer.outcome.ok ? 'ok' : 'failed';
  result.append(title, list);
}

async function signedCall(tamper) {
  const answer = await fetch('/playground/signed-call', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ tamper }),
  }).then((r) => r.json());
  const out = $('#inbound-result');
  out.dataset.status = String(answer.answer.status);
  out.textContent = [
    `${answer.request.method} ${answer.request.url}`,
    `Authorization: ${answer.request.headers.Authorization}`,
    '',
    answer.request.body,
    '',
    `→ ${answer.answer.status}`,
    pretty(answer.answer.body),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function init() {
  const config = await fetch('/playground/config').then((r) => r.json());
  state.apiBaseUrl = config.apiBaseUrl;
  state.apiKey = config.apiKey;
  signedIn(config.user);
  $('#sign-in-form').addEventListener('submit', action('#user-status', signIn));
  $('#token-button').addEventListener('click', action('#upload-status', getToken));
  $('#upload-button').addEventListener(
    'click',
    action('#upload-status', async () => {
      try {
        await uploadFiles();
      } finally {
        $('#upload-button').disabled = false;
      }
    }),
  );
  $('#pause-button').addEventListener('click', action('#upload-status', pause));
  $('#resume-button').addEventListener(
    'click',
    action('#upload-status', async () => resume()),
  );
  $('#submit-button').addEventListener('click', action('#manage-status', submit));
  $('#withdraw-button').addEventListener('click', action('#manage-status', withdraw));
  $('#traffic-button').addEventListener('click', () => refreshTraffic());
  $('#exchange-button').addEventListener('click', () => showExchange());
  for (const button of document.querySelectorAll('[data-fault]')) {
    button.addEventListener('click', () => fault(button.dataset.fault));
  }
  $('#signed-call-button').addEventListener('click', () => signedCall(false));
  $('#tampered-call-button').addEventListener('click', () => signedCall(true));
  await refreshTraffic();
  document.body.dataset.ready = 'true';
}

init().catch((error) => {
  document.body.dataset.ready = 'error';
  setStatus('#user-status', `The page could not start: ${error.message}`, 'error');
});
