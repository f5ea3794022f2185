// Penkom's study player.
//
// The server measures study time; this script only reports two facts on every beat (the page
// was on screen since the last beat; the learner did something since the last beat) and shows
// the totals the server answers. It never counts time itself, so everything it shows was
// credited by the server, and a dropped connection shows as such instead of as progress.
(function () {
  'use strict';

  var root = document.getElementById('player');
  if (!root || root.dataset.done === '1') return;

  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var moduleId = root.dataset.module;
  var beatMs = Number(root.dataset.beatMs) || 30000;
  var speed = Number(root.dataset.speed) || 1;
  var credited = document.getElementById('credited');
  var remaining = document.getElementById('remaining');
  var statusLine = document.getElementById('player-status');
  var takeover = document.getElementById('takeover');
  var complete = document.getElementById('complete');
  var video = document.getElementById('video');

  var sessionId = null;
  var timer = null;
  var stopped = false;
  var offline = false;
  // Since the last beat: did the learner interact, and was the page hidden at any moment?
  var active = false;
  var hidden = document.visibilityState !== 'visible';

  function duration(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h > 0) return m > 0 ? h + ' jam ' + m + ' menit' : h + ' jam';
    if (m > 0) return sec > 0 ? m + ' menit ' + sec + ' detik' : m + ' menit';
    return sec + ' detik';
  }

  // Only a change is written: the line is a live region, and a screen reader would read the
  // same sentence out on every beat.
  function say(text, tone) {
    if (statusLine.textContent !== text) statusLine.textContent = text;
    statusLine.className = 'status-line' + (tone ? ' ' + tone : '');
  }

  function show(r) {
    credited.textContent = duration(r.module_credited_seconds);
    remaining.textContent = duration(r.remaining_seconds);
    if (complete) complete.disabled = !r.can_complete;
  }

  function post(path, body, keepalive) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: !!keepalive,
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().then(function (json) { return { res: res, body: json }; });
    });
  }

  function later(ms) {
    clearTimeout(timer);
    timer = setTimeout(beat, Math.max(ms, 50));
  }

  function playing() {
    return !!video && !video.paused && !video.ended;
  }

  function stop(text) {
    stopped = true;
    clearTimeout(timer);
    say(text, 'error');
  }

  function disconnected(retry) {
    offline = true;
    say('Koneksi terputus. Waktu belajar tidak dihitung sampai tersambung kembali; mencoba lagi…', 'error');
    clearTimeout(timer);
    timer = setTimeout(retry, beatMs);
  }

  // What an error answer means for the player. The codes are the API's.
  function refused(x, retry) {
    var code = x.body && x.body.error && x.body.error.code;
    var status = x.res.status;
    if (code === 'session_superseded') {
      sessionId = null;
      stop('Sesi ini digantikan oleh tab atau perangkat lain. Waktu belajar hanya dihitung di satu tempat.');
      takeover.hidden = false;
    } else if (code === 'session_ended' || code === 'session_not_found') {
      // The session ended without this page (a long outage, or the server closed it): a new
      // one picks up where the credit stands.
      sessionId = null;
      start();
    } else if (code === 'heartbeat_too_fast') {
      var wait = Number(x.res.headers.get('Retry-After')) || 1;
      later(wait * 1000 / speed);
    } else if (status === 401) {
      stop('Sesi masuk Anda sudah berakhir. Muat ulang halaman dan masuk lagi untuk melanjutkan.');
    } else if (status >= 500 || status === 429) {
      // The server or what it depends on is busy or down for a moment: try again.
      disconnected(retry);
    } else {
      // Anything else will not get better by retrying (not enrolled, a form from before a
      // password change, …): say so and stop.
      stop((x.body && x.body.error && x.body.error.message ? x.body.error.message + '. ' : '') +
        'Muat ulang halaman untuk melanjutkan.');
    }
  }

  function start() {
    stopped = false;
    takeover.hidden = true;
    say('Memulai sesi belajar…');
    post('/modul/' + moduleId + '/sesi').then(function (x) {
      if (!x.res.ok) return refused(x, start);
      sessionId = x.body.session_id;
      beatMs = x.body.beat_ms || beatMs;
      active = false;
      hidden = document.visibilityState !== 'visible';
      show(x.body);
      offline = false;
      say('Sesi belajar berjalan. Waktu Anda sedang diukur.');
      later(beatMs);
    }).catch(function () { disconnected(start); });
  }

  function beat() {
    if (stopped || !sessionId) return;
    var visible = document.visibilityState === 'visible' && !hidden;
    var act = active || playing();
    active = false;
    hidden = document.visibilityState !== 'visible';
    post('/sesi/' + sessionId + '/detak', { visible: visible, active: act }).then(function (x) {
      if (!x.res.ok) return refused(x, beat);
      show(x.body);
      if (offline) {
        offline = false;
        say('Tersambung kembali. Waktu belajar diukur lagi.', 'ok');
      } else if (!visible) {
        say('Halaman sempat tidak tampil: waktu itu tidak dihitung.');
      } else if (!act) {
        say('Tidak ada interaksi: waktu tidak dihitung sampai Anda menggulir, mengetik, atau menyentuh layar.');
      } else {
        say('Sesi belajar berjalan. Waktu Anda sedang diukur.');
      }
      later(beatMs);
    }).catch(function () { disconnected(beat); });
  }

  ['pointerdown', 'pointermove', 'keydown', 'wheel', 'scroll', 'touchstart'].forEach(function (type) {
    document.addEventListener(type, function () { active = true; }, { capture: true, passive: true });
  });
  if (video) video.addEventListener('play', function () { active = true; });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState !== 'visible') hidden = true;
  });
  takeover.addEventListener('click', start);
  // Leaving the page ends the session, so its evidence is written now rather than when it
  // times out; coming back from the browser's back-forward cache starts a new one.
  window.addEventListener('pagehide', function () {
    if (sessionId && !stopped) post('/sesi/' + sessionId + '/akhiri', {}, true).catch(function () {});
    clearTimeout(timer);
  });
  window.addEventListener('pageshow', function (e) {
    if (e.persisted) start();
  });

  // A page opened in the background (a new tab, tabs restored at start-up) must not take the
  // session from the tab the learner is studying in: it starts once it is first looked at.
  if (document.visibilityState === 'visible') {
    start();
  } else {
    say('Sesi belajar dimulai saat halaman ini dibuka.');
    var waiting = function () {
      if (document.visibilityState !== 'visible') return;
      document.removeEventListener('visibilitychange', waiting);
      start();
    };
    document.addEventListener('visibilitychange', waiting);
  }
})();
