// The review page: click a transcript turn to play the recording from there; the turn being heard is lit.
document.addEventListener("DOMContentLoaded", () => {
  const audio = document.getElementById("qa-audio");
  const rows = Array.from(document.querySelectorAll("#qa-turns tr[data-start]"));
  if (!audio) return;
  rows.forEach((row) => {
    row.addEventListener("click", () => {
      audio.currentTime = parseFloat(row.dataset.start);
      audio.play();
    });
  });
  audio.addEventListener("timeupdate", () => {
    const now = audio.currentTime;
    rows.forEach((row) => {
      const start = parseFloat(row.dataset.start);
      const end = row.dataset.end ? parseFloat(row.dataset.end) : start + 1;
      row.classList.toggle("playing", start <= now && now < end);
    });
  });
});
