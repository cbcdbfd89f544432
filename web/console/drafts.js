// Unsent reply and note text kept across a forced sign-in (a 401: the session
// expired or was ended). Signing in again reloads the page, so the drafts wait
// in sessionStorage, which ends with the tab like the token. They are given
// back only to the same user; anyone else signing in on this tab drops them.

const KEY = 'crisisline.drafts';

export function keepDrafts(user, drafts) {
  if (!user || !drafts) return false;
  sessionStorage.setItem(KEY, JSON.stringify({ user, ...drafts }));
  return true;
}

// The drafts `user` left, once: they are removed whoever asks.
export function takeDrafts(user) {
  const raw = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
  if (!raw) return null;
  try {
    const d = JSON.parse(raw);
    return d && d.user === user && d.contact ? d : null;
  } catch {
    return null;
  }
}

export function dropDrafts() {
  sessionStorage.removeItem(KEY);
}
