/*
 * BPMN diagrams in the page, drawn by the bpmn-js navigated viewer (vendor/bpmn-js, global `BpmnJS`).
 * Plain script, no build step. Used through the template engine/diagram.html; see docs/diagrams.md.
 *
 * Each element with the attribute data-bpmn-diagram is a diagram:
 *   data-xml-url     URL that returns the BPMN XML (fetched with the page's cookies)
 *   data-current     comma-separated element ids the process waits in: marker `onestop-current`
 *   data-done        comma-separated element ids it went through: marker `onestop-done`
 *   data-infer-flows "false" to mark only the ids given; otherwise a sequence flow is also marked done
 *                    when its source is done and its target is done or current (the path taken)
 * Once drawn the element gets data-rendered="true"; on failure data-error="<readable message>" and the
 * message is shown in place of the diagram. Outcomes are also sent as a `onestop:diagram` DOM event
 * (detail: {viewer, error}) and the viewer is kept on the element as `element.bpmnViewer`.
 */
(function () {
  'use strict';

  var CURRENT = 'onestop-current';
  var DONE = 'onestop-done';

  function ids(value) {
    return (value || '').split(',').map(function (id) { return id.trim(); }).filter(Boolean);
  }

  // A "Tiếng Việt / English" name (as BPMN files name steps) in the page's language, as core.text.bilingual does.
  function oneLanguage(text, lang) {
    var at = text.indexOf(' / ');
    if (at < 0) return text;
    return (lang && lang.indexOf('en') === 0 ? text.slice(at + 3) : text.slice(0, at)).trim();
  }

  function describe(error) {
    var message = (error && error.message) || String(error);
    return message.split('\n')[0];
  }

  function showError(container, message) {
    container.setAttribute('data-error', message);
    container.removeAttribute('aria-busy');
    var note = document.createElement('p');
    note.className = 'onestop-diagram__error';
    note.setAttribute('role', 'alert');
    note.textContent = (container.getAttribute('data-msg-failed') || 'The process diagram could not be shown:') +
      ' ' + message;
    container.appendChild(note);
  }

  function mark(canvas, registry, id, marker, missing) {
    if (registry.get(id)) {
      canvas.addMarker(id, marker);
    } else {
      missing.push(id);
    }
  }

  function summarise(container, registry, current) {
    var target = container.parentNode && container.parentNode.querySelector('[data-bpmn-summary]');
    if (!target) return;
    var names = current.map(function (id) {
      var element = registry.get(id);
      return oneLanguage((element && element.businessObject && element.businessObject.name) || id,
                         container.getAttribute('data-lang'));
    });
    var label = container.getAttribute(names.length > 1 ? 'data-msg-current-many' : 'data-msg-current');
    target.textContent = names.length ? (label || 'Current step:') + ' ' + names.join('; ') : '';
  }

  async function render(container) {
    if (container.hasAttribute('data-state')) return; // already handled (the script may be included twice)
    container.setAttribute('data-state', 'loading');
    container.setAttribute('aria-busy', 'true');
    var viewer = null;
    try {
      if (typeof window.BpmnJS !== 'function') {
        throw new Error('the bpmn-js viewer script did not load');
      }
      var url = container.getAttribute('data-xml-url');
      if (!url) throw new Error('no data-xml-url');
      var response = await fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/xml, text/xml, */*' },
      });
      if (!response.ok) {
        throw new Error('HTTP ' + response.status + (response.statusText ? ' ' + response.statusText : '') +
                        ' for ' + url);
      }
      var xml = await response.text();

      viewer = new window.BpmnJS({ container: container });
      container.bpmnViewer = viewer;
      var result = await viewer.importXML(xml);
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      canvas.zoom('fit-viewport', 'auto');

      var current = ids(container.getAttribute('data-current'));
      var done = ids(container.getAttribute('data-done'));
      var missing = [];
      done.forEach(function (id) { mark(canvas, registry, id, DONE, missing); });
      current.forEach(function (id) { mark(canvas, registry, id, CURRENT, missing); });
      if (container.getAttribute('data-infer-flows') !== 'false') {
        var reached = {};
        done.concat(current).forEach(function (id) { reached[id] = true; });
        registry.filter(function (element) { return element.type === 'bpmn:SequenceFlow'; }).forEach(function (flow) {
          if (flow.source && flow.target && done.indexOf(flow.source.id) !== -1 && reached[flow.target.id]) {
            canvas.addMarker(flow.id, DONE);
          }
        });
      }
      if (missing.length) {
        // Not fatal: the version drawn may not be the one the ids come from.
        container.setAttribute('data-missing', missing.join(','));
      }
      if (result && result.warnings && result.warnings.length) {
        container.setAttribute('data-warnings', String(result.warnings.length));
      }
      summarise(container, registry, current);
      container.setAttribute('data-state', 'rendered');
      container.setAttribute('data-rendered', 'true');
      container.removeAttribute('aria-busy');
      container.dispatchEvent(new CustomEvent('onestop:diagram', { bubbles: true, detail: { viewer: viewer } }));
    } catch (error) {
      if (viewer) {
        viewer.destroy();
        container.bpmnViewer = null;
      }
      var message = describe(error);
      container.setAttribute('data-state', 'error');
      showError(container, message);
      container.dispatchEvent(new CustomEvent('onestop:diagram', { bubbles: true, detail: { error: message } }));
      if (window.console) window.console.error('onestop diagram:', error);
    }
  }

  function renderAll(root) {
    var containers = (root || document).querySelectorAll('[data-bpmn-diagram]');
    return Promise.all(Array.prototype.map.call(containers, render));
  }

  window.onestopDiagrams = { render: render, renderAll: renderAll };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { renderAll(); });
  } else {
    renderAll();
  }
})();
