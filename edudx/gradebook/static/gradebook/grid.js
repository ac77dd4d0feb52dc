/* The score grid: spreadsheet-like entry of a sổ điểm, one cell saved at a time, blocks pasted from Excel.
 *
 * The table is rendered by the server (every cell carries data-column, data-type, data-value, data-version);
 * this script adds the keyboard, editing, saving and pasting. The server is the authority on every value: the
 * checks made here only warn while typing. States of a cell are CSS classes: gb-empty, gb-saving, gb-saved,
 * gb-invalid, gb-conflict, gb-locked. No library, no build step.
 */
(function () {
  "use strict";

  var grid = document.getElementById("gb-grid");
  var configElement = document.getElementById("gb-config");
  if (!grid || !configElement || !grid.tBodies.length) {
    return;
  }
  var cfg = JSON.parse(configElement.textContent);
  var T = cfg.text || {};
  var messageBox = document.getElementById("gb-message");
  var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var STATES = ["gb-empty", "gb-saving", "gb-saved", "gb-invalid", "gb-conflict"];

  var rows = Array.prototype.filter.call(grid.tBodies[0].rows, function (row) {
    return row.dataset.student;
  });
  var matrix = rows.map(function (row) {
    return Array.prototype.slice.call(row.querySelectorAll("td.gb-cell"));
  });
  if (!matrix.length || !matrix[0].length) {
    return;
  }

  var active = null;
  var editor = null;

  // ---------------------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------------------

  function format(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_m, name) {
      return values[name] !== undefined ? values[name] : "";
    });
  }

  function fold(text) {
    return String(text || "")
      .replace(/đ/g, "d")
      .replace(/Đ/g, "D")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/\./g, "")
      .replace(/_/g, " ")
      .replace(/\s+/g, " ")
      .trim();
  }

  function say(text, kind) {
    if (!messageBox) {
      return;
    }
    messageBox.textContent = text || "";
    messageBox.className = "small mb-2" + (kind === "error" ? " text-danger" : kind === "warn" ? " text-warning-emphasis" : " text-muted");
  }

  function position(td) {
    for (var r = 0; r < matrix.length; r++) {
      var c = matrix[r].indexOf(td);
      if (c >= 0) {
        return { row: r, col: c };
      }
    }
    return null;
  }

  function studentOf(td) {
    return parseInt(td.parentElement.dataset.student, 10);
  }

  function setState(td, state) {
    STATES.forEach(function (name) {
      td.classList.remove(name);
    });
    if (state) {
      td.classList.add(state);
    }
  }

  function apply(td, cell) {
    td.dataset.value = cell.value;
    td.dataset.version = String(cell.version);
    td.textContent = cell.display;
    td.removeAttribute("title");
    delete td.dataset.pending;
  }

  function setAverage(td, text) {
    var cell = td.parentElement.querySelector("td.gb-avg");
    if (cell && text !== undefined && text !== null) {
      cell.textContent = text;
    }
  }

  function editable(td) {
    return cfg.editable && !td.classList.contains("gb-locked");
  }

  // ---------------------------------------------------------------------------------------------------------
  // Checks while typing (a mirror of the simple server checks; the server decides)
  // ---------------------------------------------------------------------------------------------------------

  function check(type, raw) {
    var text = String(raw || "").trim();
    if (text === "") {
      return "";
    }
    var number = text.replace(",", ".");
    if (type === "score") {
      if (!/^-?\d+(\.\d+)?$/.test(number)) {
        return T.notANumber;
      }
      var value = parseFloat(number);
      if (value < 0 || value > 10 || !/^\d+(\.\d0*)?$/.test(number)) {
        return T.scoreRange;
      }
      return "";
    }
    if (type === "test27" || type === "sessions") {
      if (!/^-?\d+(\.\d+)?$/.test(number)) {
        return T.notANumber;
      }
      var whole = /^\d+(\.0+)?$/.test(number) ? parseFloat(number) : -1;
      if (type === "test27" && (whole < 0 || whole > 10)) {
        return T.wholeRange;
      }
      if (type === "sessions" && (whole < 0 || whole > cfg.maxSessions)) {
        return T.sessions;
      }
      return "";
    }
    if (type === "text") {
      return text.length > cfg.maxText ? T.tooLong : "";
    }
    var accepted = (cfg.aliases || {})[type];
    if (accepted && accepted.indexOf(fold(text)) < 0) {
      return format(T.choice, { choices: (cfg.choices[type] || []).join(", ") });
    }
    return "";
  }

  // ---------------------------------------------------------------------------------------------------------
  // Focus and editing
  // ---------------------------------------------------------------------------------------------------------

  function focusCell(td) {
    if (!td) {
      return;
    }
    if (active && active !== td) {
      active.classList.remove("gb-active");
      active.tabIndex = -1;
    }
    active = td;
    td.classList.add("gb-active");
    td.tabIndex = 0;
    td.focus({ preventScroll: false });
    if (td.scrollIntoView) {
      td.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
    if (td.classList.contains("gb-invalid") || td.classList.contains("gb-conflict")) {
      showProblem(td);
    }
  }

  function move(td, dRow, dCol) {
    var at = position(td);
    if (!at) {
      return;
    }
    var row = at.row + dRow;
    var col = at.col + dCol;
    var width = matrix[0].length;
    if (col >= width && dRow === 0) {
      col = 0;
      row += 1;
    } else if (col < 0 && dRow === 0) {
      col = width - 1;
      row -= 1;
    }
    row = Math.max(0, Math.min(matrix.length - 1, row));
    col = Math.max(0, Math.min(width - 1, col));
    focusCell(matrix[row][col]);
  }

  function startEdit(td, initial) {
    if (!editable(td) || editor) {
      return;
    }
    var input = document.createElement("input");
    input.type = "text";
    input.className = "gb-editor";
    input.setAttribute("aria-label", td.closest("table").tHead.rows[0].cells[td.cellIndex].textContent);
    input.inputMode = ["score", "test27", "sessions"].indexOf(td.dataset.type) >= 0 ? "decimal" : "text";
    var current = td.dataset.pending !== undefined ? td.dataset.pending : td.textContent;
    input.value = initial !== undefined ? initial : current;
    editor = { td: td, input: input, original: td.textContent, done: false };
    td.textContent = "";
    td.appendChild(input);
    input.focus();
    if (initial === undefined) {
      input.select(); // opened by a click, Enter or F2: typing replaces, the arrows keep the text
    } else {
      input.setSelectionRange(input.value.length, input.value.length);
    }
    input.addEventListener("input", function () {
      var problem = check(td.dataset.type, input.value);
      input.classList.toggle("gb-typing-invalid", !!problem);
      input.title = problem || "";
      say(problem, problem ? "warn" : "");
    });
    input.addEventListener("blur", function () {
      finishEdit(true);
    });
    input.dispatchEvent(new Event("input"));
  }

  function finishEdit(commit) {
    if (!editor || editor.done) {
      return;
    }
    var state = editor;
    state.done = true;
    editor = null;
    var td = state.td;
    var value = state.input.value;
    td.removeChild(state.input);
    td.textContent = state.original;
    if (commit && value.trim() !== state.original.trim()) {
      save(td, value);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Saving
  // ---------------------------------------------------------------------------------------------------------

  function post(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(payload),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          return { status: response.status, data: data };
        });
    });
  }

  function markInvalid(td, text, shown) {
    setState(td, "gb-invalid");
    td.title = text;
    if (shown !== undefined) {
      td.dataset.pending = shown;
      td.textContent = shown;
    }
  }

  function markConflict(td, error, shown) {
    setState(td, "gb-conflict");
    td.title = error.message;
    td._current = error.current || null;
    if (shown !== undefined) {
      td.dataset.pending = shown;
      td.textContent = shown;
    }
  }

  function reload(td) {
    if (td._current) {
      apply(td, td._current);
      td._current = null;
    }
    setState(td, td.dataset.value ? "" : "gb-empty");
  }

  function lockAll() {
    cfg.editable = false;
    matrix.forEach(function (row) {
      row.forEach(function (td) {
        td.classList.add("gb-locked");
      });
    });
  }

  function showProblem(td) {
    if (!messageBox) {
      return;
    }
    say(td.title, "error");
    if (td.classList.contains("gb-conflict") && td._current) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-outline-warning ms-2";
      button.textContent = T.reload;
      button.addEventListener("click", function () {
        reload(td);
        say(T.reloaded);
        focusCell(td);
      });
      messageBox.appendChild(button);
    }
  }

  function handleRefusal(td, status, data, shown) {
    var fallback = status === 403 || status === 404 ? T.forbidden : T.network;
    var error = data && data.errors && data.errors[0] ? data.errors[0] : { message: fallback };
    if (status === 409) {
      markConflict(td, error, shown);
    } else {
      markInvalid(td, error.message || T.forbidden, shown);
      if (error.code === "sheet_locked") {
        lockAll();
      }
    }
    if (td === active) {
      showProblem(td);
    } else {
      say(error.message, "error");
    }
  }

  function save(td, raw) {
    td._queue = (td._queue || Promise.resolve()).then(function () {
      return saveNow(td, raw);
    });
  }

  function saveNow(td, raw) {
    var previous = td.textContent;
    setState(td, "gb-saving");
    td.textContent = raw;
    say(T.saving);
    var payload = {
      student: studentOf(td),
      column: td.dataset.column,
      value: raw,
      version: parseInt(td.dataset.version || "0", 10),
    };
    return post(cfg.cellUrl, payload)
      .then(function (answer) {
        if (answer.data && answer.data.ok) {
          apply(td, answer.data.cell);
          setState(td, answer.data.cell.value ? "gb-saved" : "gb-empty");
          setAverage(td, answer.data.average);
          say(T.saved);
          return;
        }
        handleRefusal(td, answer.status, answer.data, raw);
      })
      .catch(function () {
        markInvalid(td, T.network, raw);
        say(T.network, "error");
        return previous;
      });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Paste of a block copied from Excel (tab-separated columns, one line per row)
  // ---------------------------------------------------------------------------------------------------------

  function parseClipboard(text) {
    var lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
    if (lines.length && lines[lines.length - 1] === "") {
      lines.pop();
    }
    return lines.map(function (line) {
      return line.split("\t");
    });
  }

  function pasteBlock(start, block) {
    var at = position(start);
    if (!at || !block.length) {
      return;
    }
    var targets = [];
    var changes = [];
    for (var i = 0; i < block.length; i++) {
      for (var j = 0; j < block[i].length; j++) {
        var row = matrix[at.row + i];
        var td = row ? row[at.col + j] : undefined;
        if (!td || !editable(td)) {
          say(T.pasteOutside, "error");
          return;
        }
        targets.push({ td: td, raw: block[i][j], shown: td.textContent, state: td.className });
        changes.push({
          student: studentOf(td),
          column: td.dataset.column,
          value: block[i][j],
          version: parseInt(td.dataset.version || "0", 10),
        });
      }
    }
    targets.forEach(function (t) {
      setState(t.td, "gb-saving");
      t.td.textContent = t.raw;
    });
    say(T.saving);
    post(cfg.cellsUrl, { changes: changes })
      .then(function (answer) {
        var data = answer.data;
        if (data && data.ok) {
          var byKey = {};
          data.cells.forEach(function (cell) {
            byKey[cell.student + ":" + cell.column] = cell;
          });
          targets.forEach(function (t) {
            var cell = byKey[studentOf(t.td) + ":" + t.td.dataset.column];
            if (cell) {
              apply(t.td, cell);
              setState(t.td, cell.value ? "gb-saved" : "gb-empty");
            } else {
              t.td.textContent = t.shown;
              setState(t.td, t.td.dataset.value ? "" : "gb-empty");
            }
          });
          Object.keys(data.averages || {}).forEach(function (student) {
            var row = grid.querySelector('tr[data-student="' + student + '"] td.gb-avg');
            if (row) {
              row.textContent = data.averages[student];
            }
          });
          say(format(T.pasteSaved, { n: data.changed }));
          return;
        }
        // Nothing was written: put every cell back, then mark the refused ones with what was pasted.
        targets.forEach(function (t) {
          t.td.textContent = t.shown;
          t.td.className = t.state;
        });
        var errors = (data && data.errors) || [{ message: answer.status === 403 ? T.forbidden : T.network, index: -1 }];
        errors.forEach(function (error) {
          var target = targets[error.index];
          if (!target) {
            return;
          }
          if (error.code === "conflict") {
            markConflict(target.td, error, target.raw);
          } else {
            markInvalid(target.td, error.message, target.raw);
          }
        });
        var first = errors[0];
        var summary = format(T.pasteErrors, { n: errors.length });
        say(summary + (first && first.message ? " " + first.message : ""), "error");
        if (first && first.code === "sheet_locked") {
          lockAll();
        }
      })
      .catch(function () {
        targets.forEach(function (t) {
          t.td.textContent = t.shown;
          t.td.className = t.state;
        });
        say(T.network, "error");
      });
  }

  // ---------------------------------------------------------------------------------------------------------
  // Events
  // ---------------------------------------------------------------------------------------------------------

  grid.addEventListener("click", function (event) {
    var td = event.target.closest("td.gb-cell");
    if (!td || (editor && editor.td === td)) {
      return;
    }
    if (td === active && editable(td)) {
      startEdit(td); // a second tap opens the editor (phones have no keyboard focus on a cell)
      return;
    }
    focusCell(td);
  });

  grid.addEventListener("dblclick", function (event) {
    var td = event.target.closest("td.gb-cell");
    if (td && !(editor && editor.td === td)) {
      focusCell(td);
      startEdit(td);
    }
  });

  grid.addEventListener("keydown", function (event) {
    if (editor) {
      var td = editor.td;
      if (event.key === "Enter") {
        event.preventDefault();
        finishEdit(true);
        move(td, event.shiftKey ? -1 : 1, 0);
      } else if (event.key === "Tab") {
        event.preventDefault();
        finishEdit(true);
        move(td, 0, event.shiftKey ? -1 : 1);
      } else if (event.key === "Escape") {
        event.preventDefault();
        finishEdit(false);
        focusCell(td);
      } else if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        event.preventDefault();
        finishEdit(true);
        move(td, event.key === "ArrowUp" ? -1 : 1, 0);
      }
      return;
    }
    if (!active || !event.target.closest || !event.target.closest("td.gb-cell")) {
      return;
    }
    var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[event.key]) {
      event.preventDefault();
      move(active, moves[event.key][0], moves[event.key][1]);
    } else if (event.key === "Tab") {
      var at = position(active);
      var last = at.row === matrix.length - 1 && at.col === matrix[0].length - 1;
      var first = at.row === 0 && at.col === 0;
      if ((event.shiftKey && first) || (!event.shiftKey && last)) {
        return; // leave the grid
      }
      event.preventDefault();
      move(active, 0, event.shiftKey ? -1 : 1);
    } else if (event.key === "Enter" || event.key === "F2") {
      event.preventDefault();
      startEdit(active);
    } else if ((event.key === "Delete" || event.key === "Backspace") && editable(active)) {
      event.preventDefault();
      if (active.dataset.value || active.dataset.pending !== undefined) {
        save(active, "");
      }
    } else if (
      event.key.length === 1 &&
      !event.isComposing &&
      !event.ctrlKey &&
      !event.metaKey &&
      !event.altKey &&
      editable(active)
    ) {
      event.preventDefault();
      startEdit(active, event.key);
    }
  });

  document.addEventListener("paste", function (event) {
    if (!active || !cfg.editable) {
      return;
    }
    var inGrid = editor || (document.activeElement && document.activeElement.closest && document.activeElement.closest("#gb-grid"));
    if (!inGrid) {
      return;
    }
    var text = (event.clipboardData || window.clipboardData).getData("text");
    var block = parseClipboard(text);
    var single = block.length === 1 && block[0].length === 1;
    if (editor && single) {
      return; // an ordinary paste into the cell being edited
    }
    event.preventDefault();
    var start = editor ? editor.td : active;
    if (editor) {
      finishEdit(false);
    }
    if (single) {
      save(start, block[0][0]);
      return;
    }
    pasteBlock(start, block);
  });

  // The first cell is reachable with Tab; after that the arrows move inside the grid (a roving tabindex).
  matrix[0][0].tabIndex = 0;
  grid.addEventListener("focusin", function (event) {
    var td = event.target.closest && event.target.closest("td.gb-cell");
    if (td && td !== active && !editor) {
      focusCell(td);
    }
  });
})();
