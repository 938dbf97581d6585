-- Tabstop for Neovim 0.11+ (inline completion needs 0.12+).
--
-- Copy this file to ~/.config/nvim/lsp/tabstop.lua (or put this folder on 'runtimepath'),
-- then in init.lua:
--
--   vim.lsp.enable('tabstop')
--   vim.lsp.inline_completion.enable()        -- Neovim 0.12+: ghost text while typing
--   vim.keymap.set('i', '<Tab>', function()
--     if not vim.lsp.inline_completion.get() then return '<Tab>' end
--   end, { expr = true, desc = 'Accept the Tabstop suggestion' })
--
-- Override any field from init.lua with vim.lsp.config('tabstop', { ... }); the tables merge.
-- Setting keys are those of docs/configuration (camelCase or snake_case both work).

local settings = {
  backend = 'local', -- 'local' keeps your code on this machine
  model = { name = 'default' },
  completion = { maxTokens = 64, deadlineMs = 4000 },
  telemetry = { enabled = true },
}

---@type vim.lsp.Config
return {
  cmd = { 'tabstop', 'serve' },
  -- No `filetypes`: Tabstop completes every language, so it attaches to every file buffer.
  root_markers = { '.git', 'pyproject.toml', 'package.json', 'go.mod', 'Cargo.toml' },
  init_options = settings,
  -- Sent again as workspace/didChangeConfiguration; the server unwraps the `tabstop` key.
  settings = { tabstop = settings },
  handlers = {
    -- The server reports loading / ready / error and the last latency; keep it for a
    -- statusline (docs/editors/neovim.md has one).
    ['tabstop/status'] = function(_, status)
      vim.g.tabstop_status = status
      vim.cmd.redrawstatus()
    end,
  },
}
