// Penkom's post-test page: saves answers as the learner goes (and when the page is left), and
// counts down to the server's deadline. Without this script the form still works: "Simpan" and
// "Kumpulkan" are plain submit buttons.
(function () {
  'use strict';

  var form = document.getElementById('post-test');
  if (!form) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var status = document.getElementById('autosave');
  var countdown = document.getElementById('countdown');
  var value = document.getElementById('countdown-value');
  var timeUp = document.getElementById('time-up');
  var pending = null;
  var dirty = false;

  function body() {
    var data = new URLSearchParams(new FormData(form));
    data.set('aksi', 'simpan');
    return data;
  }

  var stopped = false;

  function say(text, tone) {
    status.textContent = text;
    status.className = 'status-line' + (tone ? ' ' + tone : '');
  }

  function save(keepalive) {
    if (stopped) return Promise.resolve();
    dirty = false;
    return fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: !!keepalive,
      redirect: 'manual',
      headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: body()
    }).then(function (res) {
      var json = (res.headers.get('Content-Type') || '').indexOf('application/json') === 0;
      // A redirect here means the sign-in session ended (the page would be sent to sign-in).
      if (res.type === 'opaqueredirect' || res.status === 401) {
        stopped = true;
        say('Sesi masuk Anda sudah berakhir. Jawaban terakhir belum tersimpan: masuk lagi, lalu buka percobaan ini kembali.', 'error');
        return null;
      }
      if (!json) throw res;
      return res.json().then(function (r) {
        if (res.ok) return r;
        var code = r.error && r.error.code;
        if (code === 'attempt_submitted' || code === 'attempt_closed' || res.status === 403 || res.status === 404) {
          // Retrying cannot help: handed in from another tab, out of time, or a stale page.
          stopped = true;
          say(r.error.message + '. Muat ulang halaman untuk melihat hasilnya.', 'error');
          return null;
        }
        throw res;
      });
    }).then(function (r) {
      if (!r) return;
      var now = new Date();
      var hh = String(now.getHours()).padStart(2, '0'), mm = String(now.getMinutes()).padStart(2, '0');
      say(r.answered + ' dari ' + r.questions + ' soal terjawab · tersimpan pukul ' + hh + '.' + mm, 'ok');
    }).catch(function () {
      dirty = true;
      say('Jawaban belum tersimpan (koneksi terputus?). Akan dicoba lagi; Anda juga bisa menekan "Simpan jawaban".', 'error');
    });
  }

  form.addEventListener('change', function () {
    dirty = true;
    clearTimeout(pending);
    pending = setTimeout(function () { save(false); }, 300);
  });
  // A failed save is retried every ten seconds until one gets through.
  setInterval(function () { if (dirty) save(false); }, 10000);
  window.addEventListener('pagehide', function () { if (dirty) save(true); });

  if (countdown && value) {
    var end = Date.now() + Number(countdown.dataset.remainingMs);
    var speed = Number(countdown.dataset.speed) || 1;
    var warn = document.getElementById('countdown-warning');
    var warned = {};
    var timer = null;
    var tick = function () {
      var left = Math.max(0, end - Date.now());
      var s = Math.ceil(left / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      var text = (h > 0 ? h + '.' + String(m).padStart(2, '0') : String(m).padStart(2, '0')) + '.' + String(sec).padStart(2, '0');
      if (value.textContent !== text) value.textContent = text;
      // The countdown itself is silent for screen readers (it changes every second); these
      // two warnings are read out once each.
      [5, 1].forEach(function (minutes) {
        if (!warned[minutes] && left > 0 && left <= minutes * 60000 / speed) {
          warned[minutes] = true;
          if (warn) warn.textContent = 'Sisa waktu post-test ' + minutes + ' menit.';
        }
      });
      if (left === 0) {
        // Time is up: what is saved is what counts; save the last change, then hand it in.
        clearInterval(timer);
        value.textContent = 'waktu habis';
        if (warn) warn.textContent = 'Waktu habis. Jawaban yang tersimpan dikumpulkan.';
        save(false).then(function () { timeUp.submit(); });
      }
    };
    timer = setInterval(tick, 250);
    tick();
  }
})();
