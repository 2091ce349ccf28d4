/* A meeting's settings as the form of templates/meetings.html's settings_fields() holds them:
 * the meetings list's 新建测评 and the console's 准备 tab read the same fields. */
import { texts } from "./dom.js";
import { localError } from "./api.js";

export function field(form, name) {
  return form.elements.namedItem(name);
}

/* The entries of a list typed as text: split at commas, 、, semicolons and line ends. */
export function splitList(text) {
  return String(text).split(/[,，、;；\n]+/).map((s) => s.trim()).filter((s) => s);
}

function rule(form) {
  if (field(form, "rule_kind").value !== "threshold") {
    return { kind: "majority", base: field(form, "rule_base").value };
  }
  const thresholds = splitList(field(form, "thresholds").value).map(Number);
  if (!thresholds.length || thresholds.some((n) => !isFinite(n))) {
    throw localError(texts().bad_thresholds);
  }
  return { kind: "threshold", thresholds: thresholds };
}

function combine(form) {
  if (field(form, "combine_kind").value !== "weighted") return { kind: "members_only" };
  return { kind: "weighted", weights: {
    member: Number(field(form, "weight_member").value),
    deputy: Number(field(form, "weight_deputy").value) } };
}

/* The settings in `form`, as the API takes them; throws a local error for bad thresholds. */
export function readSettings(form) {
  const settings = {
    title: field(form, "title").value.trim(),
    expected: parseInt(field(form, "expected").value, 10),
    scale: field(form, "scale").value,
    aspects: splitList(field(form, "aspects").value),
    secret: field(form, "secret").value === "1",
    join_mode: field(form, "join_mode").value,
    quorum: parseFloat(field(form, "quorum").value),
    allow_change: field(form, "allow_change").checked,
    live_tallies: field(form, "live_tallies").checked,
    auto_close: field(form, "auto_close").checked,
    speech_minutes: parseInt(field(form, "speech_minutes").value, 10) || 8,
    speech_opens_vote: field(form, "speech_opens_vote").checked,
    rule: rule(form),
    combine: combine(form)
  };
  if (!settings.aspects.length) delete settings.aspects;
  if (isNaN(settings.expected)) settings.expected = null;
  return settings;
}
