-- A minimal Neovim configuration for the end-to-end test of `daemonlint lsp` (tests/lsp_nvim.rs).
-- Run as: nvim --headless --clean -u init.lua FILE, with
--   DAEMONLINT_BIN  the daemonlint binary
--   DAEMONLINT_OUT  where to write the results as JSON
-- It starts the server for the file, waits for its diagnostics, asks for code actions on the
-- `host-network` finding and for a hover, applies "Suppress host-network on this line", waits
-- for the diagnostics to follow the edit, writes everything out and quits.
-- Works with Neovim 0.7 (Debian 12: `vim.lsp.start_client` + `vim.lsp.buf_attach_client`) and
-- with 0.8+ (`vim.lsp.start`).

local bin = os.getenv("DAEMONLINT_BIN")
local out = os.getenv("DAEMONLINT_OUT")
local results = { version = tostring(vim.version().major) .. "." .. tostring(vim.version().minor) }

local function finish()
  local f = io.open(out, "w")
  if f then
    f:write(vim.json.encode(results))
    f:close()
  end
  vim.cmd("qa!")
end

local function diagnostics(bufnr)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(list, {
      code = d.code,
      severity = d.severity,
      source = d.source,
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
    })
  end
  table.sort(list, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
  return list
end

local function find(list, code)
  for _, d in ipairs(list) do
    if d.code == code then
      return d
    end
  end
end

local function run()
  local bufnr = vim.api.nvim_get_current_buf()
  local config = {
    name = "daemonlint",
    cmd = { bin, "lsp" },
    root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":h"),
  }
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(config, { bufnr = bufnr })
  else
    client_id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
  results.client = client_id ~= nil

  vim.wait(15000, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 20)
  results.diagnostics = diagnostics(bufnr)

  -- Code actions on the host-network finding (an ASCII line: byte columns are UTF-16 ones).
  local target = find(results.diagnostics, "host-network")
  if not target then
    return
  end
  local uri = vim.uri_from_bufnr(bufnr)
  local position = { line = target.lnum, character = target.col }
  local replies = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", {
    textDocument = { uri = uri },
    range = { start = position, ["end"] = position },
    context = { diagnostics = {} },
  }, 10000) or {}
  results.actions = {}
  local suppress
  for _, reply in pairs(replies) do
    for _, action in ipairs(reply.result or {}) do
      table.insert(results.actions, action.title)
      if action.title == "Suppress host-network on this line" then
        suppress = action
      end
    end
  end

  local hovers = vim.lsp.buf_request_sync(bufnr, "textDocument/hover", {
    textDocument = { uri = uri },
    position = position,
  }, 10000) or {}
  for _, reply in pairs(hovers) do
    if reply.result and reply.result.contents then
      results.hover_first_line = vim.split(reply.result.contents.value, "\n")[1]
    end
  end

  if suppress then
    local client = vim.lsp.get_client_by_id(client_id)
    vim.lsp.util.apply_workspace_edit(suppress.edit, client.offset_encoding)
    results.suppress_line = vim.api.nvim_buf_get_lines(bufnr, target.lnum, target.lnum + 1, false)[1]
    vim.wait(15000, function()
      return find(diagnostics(bufnr), "host-network") == nil
    end, 20)
    results.after_suppress = diagnostics(bufnr)
  end
end

vim.api.nvim_create_autocmd("VimEnter", {
  callback = function()
    local ok, err = pcall(run)
    if not ok then
      results.error = tostring(err)
    end
    finish()
  end,
})
