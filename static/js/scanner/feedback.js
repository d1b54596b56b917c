// Sound and vibration cues: a short high beep for a success, a low double beep for a refusal.

let audio = null;

/** Create (or wake) the audio context; browsers allow it only after a user gesture. */
export function unlockAudio() {
  const AudioContextClass = window.AudioContext || window.webkitAudioContext;
  if (!AudioContextClass) return;
  if (audio === null) {
    audio = new AudioContextClass();
  }
  if (audio.state === "suspended") {
    audio.resume().catch(() => {});
  }
}

function beep(frequency, start, duration) {
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  oscillator.type = "sine";
  oscillator.frequency.value = frequency;
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.3, start + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + duration);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start(start);
  oscillator.stop(start + duration + 0.02);
}

/** Play the cue for "ok", "bad" or "info" (a soft tick), if cues are on. */
export function cue(kind, enabled) {
  if (!enabled) return;
  if (navigator.vibrate) {
    navigator.vibrate(kind === "ok" ? 80 : kind === "bad" ? [180, 90, 180] : 30);
  }
  if (audio === null || audio.state !== "running") return;
  const at = audio.currentTime + 0.01;
  if (kind === "ok") {
    beep(1320, at, 0.12);
  } else if (kind === "bad") {
    beep(220, at, 0.18);
    beep(220, at + 0.25, 0.25);
  } else {
    beep(880, at, 0.05);
  }
}
