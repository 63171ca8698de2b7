-- Runs manifests/argocd/health.lua (Argo CD's PartitionPolicy health check) on sample objects
-- and compares hs.status / hs.message with the expected verdicts.
-- Usage: lua5.4 health_test.lua <path to health.lua>
local script_path = arg[1]
if script_path == nil then
  io.stderr:write("usage: lua5.4 health_test.lua <health.lua>\n")
  os.exit(2)
end

-- Argo CD runs the script with `obj` as a global and the standard library available.
local function run(obj)
  local env = setmetatable({ obj = obj }, { __index = _G })
  local chunk, err = loadfile(script_path, "t", env)
  if chunk == nil then
    error("cannot load " .. script_path .. ": " .. err)
  end
  return chunk()
end

local function cond(type_name, status, reason, message)
  return { type = type_name, status = status, reason = reason, message = message,
           lastTransitionTime = "2026-11-21T10:00:00Z", observedGeneration = 3 }
end

local function policy(generation, status, spec)
  return {
    apiVersion = "pgpart.io/v1alpha1",
    kind = "PartitionPolicy",
    metadata = { name = "events", namespace = "app", generation = generation },
    spec = spec or { tables = { "public.events" }, interval = "1 month", premake = 3 },
    status = status,
  }
end

local ready_true = cond("Ready", "True", "Reconciled", "3 tables in shape, covered until 2027-03-01")
local cases = {
  { name = "no status yet", obj = policy(1, nil),
    status = "Progressing", message = "Waiting for the operator to report status" },
  { name = "observedGeneration missing",
    obj = policy(2, { conditions = { ready_true } }),
    status = "Progressing", message = "Waiting for the operator to observe generation 2" },
  { name = "observedGeneration behind generation, even if Ready",
    obj = policy(4, { observedGeneration = 3, conditions = { ready_true } }),
    status = "Progressing", message = "Waiting for the operator to observe generation 4" },
  { name = "stale Stalled is not reported before the new generation is observed",
    obj = policy(5, { observedGeneration = 4,
                      conditions = { cond("Stalled", "True", "DatabaseUnreachable", "old") } }),
    status = "Progressing", message = "Waiting for the operator to observe generation 5" },
  { name = "Reconciling True",
    obj = policy(3, { observedGeneration = 3, conditions = {
      cond("Ready", "False", "Reconciling", "applying 2 steps"),
      cond("Reconciling", "True", "Applying", "creating public.events_y2027m04"),
      cond("Stalled", "False", "Applying", "") } }),
    status = "Progressing", message = "creating public.events_y2027m04" },
  { name = "Stalled True wins over Ready False and carries its message",
    obj = policy(3, { observedGeneration = 3, conditions = {
      cond("Ready", "False", "DatabaseUnreachable", "ready message"),
      cond("Reconciling", "False", "DatabaseUnreachable", ""),
      cond("Stalled", "True", "DatabaseUnreachable",
           "cannot connect to the database from Secret app/app-db: connection refused") } }),
    status = "Degraded",
    message = "cannot connect to the database from Secret app/app-db: connection refused" },
  { name = "Stalled True without a message falls back to its reason",
    obj = policy(3, { observedGeneration = 3, conditions = {
      cond("Stalled", "True", "SecretMissing", nil) } }),
    status = "Degraded", message = "SecretMissing" },
  { name = "Ready False alone",
    obj = policy(3, { observedGeneration = 3, conditions = {
      cond("Ready", "False", "TableMissing", "table public.events does not exist"),
      cond("Reconciling", "False", "TableMissing", ""),
      cond("Stalled", "False", "TableMissing", "") } }),
    status = "Degraded", message = "table public.events does not exist" },
  { name = "Ready True",
    obj = policy(3, { observedGeneration = 3, conditions = {
      ready_true,
      cond("Reconciling", "False", "Reconciled", ""),
      cond("Stalled", "False", "Reconciled", "") } }),
    status = "Healthy", message = "3 tables in shape, covered until 2027-03-01" },
  { name = "observedGeneration ahead of a missing metadata.generation",
    obj = { metadata = { name = "x" }, spec = {},
            status = { observedGeneration = 1, conditions = { ready_true } } },
    status = "Healthy", message = "3 tables in shape, covered until 2027-03-01" },
  { name = "status without conditions",
    obj = policy(1, { observedGeneration = 1 }),
    status = "Progressing", message = "Waiting for the Ready condition" },
  { name = "Ready Unknown",
    obj = policy(1, { observedGeneration = 1,
                      conditions = { cond("Ready", "Unknown", "Starting", "starting") } }),
    status = "Progressing", message = "Waiting for the Ready condition" },
  { name = "suspended, no status",
    obj = policy(1, nil, { tables = { "public.events" }, suspend = true }),
    status = "Suspended", message = "Reconciliation is suspended (spec.suspend)" },
  { name = "suspended wins over Stalled",
    obj = policy(3, { observedGeneration = 3, conditions = {
      cond("Stalled", "True", "DatabaseUnreachable", "down") } },
      { tables = { "public.events" }, suspend = true }),
    status = "Suspended", message = "Reconciliation is suspended (spec.suspend)" },
  { name = "suspend false is not suspended",
    obj = policy(3, { observedGeneration = 3, conditions = { ready_true } },
                 { tables = { "public.events" }, suspend = false }),
    status = "Healthy", message = "3 tables in shape, covered until 2027-03-01" },
}

local passed, failed = 0, 0
for _, case in ipairs(cases) do
  local ok, hs = pcall(run, case.obj)
  if not ok then
    failed = failed + 1
    print(string.format("FAIL %s: script error: %s", case.name, tostring(hs)))
  elseif type(hs) ~= "table" or hs.status ~= case.status or hs.message ~= case.message then
    failed = failed + 1
    print(string.format("FAIL %s: got status=%s message=%s, want status=%s message=%s",
                        case.name, tostring(hs and hs.status), tostring(hs and hs.message),
                        case.status, case.message))
  else
    passed = passed + 1
  end
end
print(string.format("%d passed, %d failed", passed, failed))
if failed > 0 then
  os.exit(1)
end
