// Daily Papers: upvotes without a page reload. Every form works without
// this script; with it, a vote form is sent with fetch and the count on the
// button changes in place. Loaded from /static/app.js (no inline scripts:
// the Content-Security-Policy allows only this origin's files).
"use strict";

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("form[data-vote]")) {
    return;
  }
  event.preventDefault();
  const button = form.querySelector("button");
  const remove = form.querySelector('input[name="action"]');
  const csrf = form.querySelector('input[name="csrf_token"]');
  const upvoted = button.getAttribute("aria-pressed") === "true";
  button.disabled = true;
  try {
    // getAttribute: the hidden input named "action" shadows form.action.
    const res = await fetch(form.getAttribute("action"), {
      method: upvoted ? "DELETE" : "POST",
      headers: { "X-CSRF-Token": csrf ? csrf.value : "", "Accept": "application/json" },
      credentials: "same-origin",
    });
    if (!res.ok) {
      form.submit();
      return;
    }
    const body = await res.json();
    button.setAttribute("aria-pressed", String(body.upvoted));
    button.classList.toggle("voted", body.upvoted);
    const count = button.querySelector(".count");
    if (count) {
      count.textContent = String(body.upvotes);
    }
    button.setAttribute("aria-label", (body.upvoted ? "Remove your upvote" : "Upvote") + " (" + body.upvotes + ")");
    if (body.upvoted && !remove) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "action";
      input.value = "remove";
      form.appendChild(input);
    } else if (!body.upvoted && remove) {
      remove.remove();
    }
  } finally {
    button.disabled = false;
  }
});
