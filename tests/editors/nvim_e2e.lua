-- Driven by tests/editors/test_neovim.py: `nvim --headless --clean -u nvim_e2e.lua FILE`.
-- Uses the documented config (docs/editors/neovim/lsp/tabstop.lua) from 'runtimepath',
-- overriding only how the server is started (this checkout, a log file, a long deadline for
-- a loaded CI machine). Writes a JSON result to $E2E_OUT and quits; feedkeys is not used
-- because it blocks in headless mode.
local out_path = assert(vim.env.E2E_OUT)
local t0 = vim.uv.hrtime()
local function ms() return math.floor((vim.uv.hrtime() - t0) / 1e6) end
local result = { timings = {} }

local function finish(err)
  result.error = err
  result.buffer = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.json.encode(result))
  f:close()
  vim.cmd('qall!')
end

-- Poll without blocking the event loop (vim.wait would stall mode changes).
local function poll(what, cond, timeout_ms, on_ok)
  local deadline = ms() + timeout_ms
  local function tick()
    local ok, value = pcall(cond)
    if ok and value then return on_ok(value) end
    if ms() > deadline then return finish('timed out waiting for ' .. what) end
    vim.defer_fn(tick, 100)
  end
  tick()
end

vim.opt.rtp:prepend(assert(vim.env.TABSTOP_NVIM_RUNTIME))
vim.lsp.config('tabstop', {
  cmd = { assert(vim.env.SERVER_PYTHON), '-m', 'lsp.cli', 'serve' },
  cmd_env = {
    PYTHONPATH = assert(vim.env.SERVER_PYTHONPATH),
    TABSTOP_LOG_FILE = assert(vim.env.SERVER_LOG),
    TABSTOP_LOG_LEVEL = 'info',
  },
  -- Both: Neovim sends `settings` again as didChangeConfiguration right after start-up.
  init_options = { completion = { deadlineMs = 60000, maxTokens = 32 } },
  settings = { tabstop = { completion = { deadlineMs = 60000, maxTokens = 32 } } },
})
vim.lsp.enable('tabstop')
vim.lsp.inline_completion.enable()

vim.api.nvim_create_autocmd('VimEnter', {
  callback = vim.schedule_wrap(function()
    local buf = vim.api.nvim_get_current_buf()
    poll('the tabstop client to attach', function()
      return #vim.lsp.get_clients({ name = 'tabstop', bufnr = buf }) > 0
    end, 60000, function()
      result.timings.attachMs = ms()
      poll('tabstop/status ready', function()
        return vim.g.tabstop_status and vim.g.tabstop_status.state == 'ready'
      end, 180000, function()
        result.timings.readyMs = ms()
        result.status = vim.g.tabstop_status
        local last = vim.api.nvim_buf_line_count(buf)
        local line = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1]
        vim.api.nvim_win_set_cursor(0, { last, #line })
        vim.cmd('startinsert!') -- InsertEnter: the automatic request, after a 200 ms debounce
        local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
        poll('ghost text (an inline-completion extmark)', function()
          for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, ns or -1, 0, -1, { details = true })) do
            local d = mark[4]
            if d.virt_text and #d.virt_text > 0 then
              local parts = {}
              for _, chunk in ipairs(d.virt_text) do table.insert(parts, chunk[1]) end
              for _, vline in ipairs(d.virt_lines or {}) do
                local l = {}
                for _, chunk in ipairs(vline) do table.insert(l, chunk[1]) end
                table.insert(parts, '\n' .. table.concat(l))
              end
              local text = table.concat(parts)
              if text:match('%S') then return text end
            end
          end
        end, 120000, function(ghost)
          result.timings.ghostMs = ms()
          result.ghost = ghost
          result.accepted = vim.lsp.inline_completion.get()
          poll('the buffer to change', function()
            return vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1] ~= line
          end, 10000, function()
            vim.cmd('stopinsert')
            vim.cmd('silent write')
            -- Give the accept command (workspace/executeCommand) time to reach the server.
            vim.defer_fn(function() finish(nil) end, 1500)
          end)
        end)
      end)
    end)
  end),
})
vim.defer_fn(function() finish('overall timeout') end, 420000)
