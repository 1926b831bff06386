// The waiting-room board: a clock, and a chime plus the call spoken aloud (in the Display's
// language) each time the server announces a called token. live.js does the websocket.
(function () {
  "use strict";
  var body = document.body;
  var clock = document.getElementById("board-clock");

  function tick() {
    if (!clock) return;
    var now = new Date();
    // The hospital's time, not the TV's: a TV's own zone is often left at UTC.
    clock.textContent = now.toLocaleTimeString(document.documentElement.lang === "hi" ? "hi-IN" : "en-IN",
      { hour: "2-digit", minute: "2-digit", timeZone: clock.dataset.timeZone || undefined });
    clock.setAttribute("datetime", now.toISOString());
  }
  tick();
  setInterval(tick, 1000);

  var chime = null;
  function playChime() {
    if (body.dataset.chime !== "1") return Promise.resolve();
    try {
      chime = chime || new Audio(body.dataset.chimeSrc);
      chime.currentTime = 0;
      var played = chime.play();
      return new Promise(function (resolve) {
        var done = function () { resolve(); };
        if (played && played.catch) played.catch(done);  // autoplay refused: go on with speech
        chime.onended = done;
        setTimeout(done, 2500);
      });
    } catch (e) {
      return Promise.resolve();
    }
  }

  function say(text) {
    if (body.dataset.speech !== "1" || !text || !("speechSynthesis" in window)) return;
    var u = new SpeechSynthesisUtterance(text);
    u.lang = body.dataset.speechLang || "en-IN";
    u.rate = 0.9;
    var voices = window.speechSynthesis.getVoices();
    for (var i = 0; i < voices.length; i++) {
      if (voices[i].lang && voices[i].lang.indexOf(u.lang.slice(0, 2)) === 0) { u.voice = voices[i]; break; }
    }
    window.speechSynthesis.speak(u);
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(""));  // some engines drop the tail
  }

  // Announcements are queued so two calls in quick succession are both heard.
  var queue = Promise.resolve();
  document.addEventListener("live:swapped", function (event) {
    if (event.detail.id !== "board-call") return;
    var call = event.target.dataset;
    if (!call.number) return;
    var row = document.getElementById("board-doctor-" + call.doctor);
    var now = row && row.querySelector(".now-number");
    if (now) {
      now.classList.remove("is-new");
      void now.offsetWidth;  // restart the highlight animation
      now.classList.add("is-new");
    }
    body.dataset.lastCall = call.number;
    queue = queue.then(playChime).then(function () { say(call.say); });
  });
})();
