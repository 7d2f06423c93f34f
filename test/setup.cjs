// Tests crash processes on purpose: keep the default error reports (stderr) quiet. Tests that
// check reports send them to a probe through the 'skein.reports' env key instead.
process.env.SKEIN_REPORTS ??= 'off'
