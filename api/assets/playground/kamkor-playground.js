// The Kamkor playground: GraphiQL over this server only, with the example
// tabs the page carries. Queries and mutations go over HTTP; subscriptions
// over a WebSocket on the same URL, with the Authorization header of the
// headers editor sent in connection_init. The header's placeholder is never
// sent: until a real token replaces it, requests are anonymous.
(function () {
  'use strict';
  var PLACEHOLDER = /<token>/;
  var url = new URL('/graphql', window.location.origin).toString();
  var wsUrl = url.replace(/^http/, 'ws');
  var page = JSON.parse(document.getElementById('kamkor-playground-data').textContent);

  function withoutPlaceholder(headers) {
    var kept = {};
    Object.keys(headers || {}).forEach(function (name) {
      var value = headers[name];
      if (!(name.toLowerCase() === 'authorization' && PLACEHOLDER.test(String(value)))) {
        kept[name] = value;
      }
    });
    return kept;
  }

  var overHttp = GraphiQL.createFetcher({ url: url });
  var sockets = {};

  function socketFor(authorization) {
    var key = authorization || '';
    if (!sockets[key]) {
      sockets[key] = graphqlWs.createClient({
        url: wsUrl,
        lazy: true,
        connectionParams: authorization ? { Authorization: authorization } : {},
      });
    }
    return sockets[key];
  }

  // The operations a document defines, as [{ type, name }], read from its
  // text: GraphiQL's parsed document can lag behind a tab switch.
  function operations(query) {
    var text = String(query || '')
      .replace(/"""[\s\S]*?"""/g, '""')
      .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
      .replace(/#[^\n]*/g, '');
    var found = [];
    var depth = 0;
    // A definition whose selection set has not begun yet.
    var pending = false;
    var word = /[_A-Za-z][_0-9A-Za-z]*/y;
    for (var i = 0; i < text.length; i += 1) {
      var c = text[i];
      if (c === '{' && depth === 0) {
        if (!pending) {
          found.push({ type: 'query', name: null }); // a shorthand query
        }
        pending = false;
      }
      if (c === '{' || c === '(' || c === '[') {
        depth += 1;
      } else if (c === '}' || c === ')' || c === ']') {
        depth -= 1;
      } else if (depth === 0 && !pending && /[_A-Za-z]/.test(c)) {
        word.lastIndex = i;
        var keyword = word.exec(text)[0];
        i += keyword.length - 1;
        if (keyword === 'query' || keyword === 'mutation' || keyword === 'subscription' || keyword === 'fragment') {
          var rest = text.slice(i + 1).match(/^\s*([_A-Za-z][_0-9A-Za-z]*)/);
          found.push({ type: keyword, name: rest ? rest[1] : null });
          pending = true;
        }
      }
    }
    return found.filter(function (o) { return o.type !== 'fragment'; });
  }

  // GraphiQL may keep the operation name of the tab shown before: a name the
  // document does not define is dropped when it has one operation only.
  function named(params, defined) {
    var known = defined.some(function (o) { return o.name === params.operationName; });
    if (params.operationName && !known && defined.length === 1) {
      return Object.assign({}, params, { operationName: undefined });
    }
    return params;
  }

  function isSubscription(params, defined) {
    var chosen = params.operationName
      ? defined.find(function (o) { return o.name === params.operationName; })
      : defined[0];
    return Boolean(chosen) && chosen.type === 'subscription';
  }

  function fetcher(graphiqlParams, options) {
    var defined = operations(graphiqlParams.query);
    var params = named(graphiqlParams, defined);
    var headers = withoutPlaceholder(options && options.headers);
    if (!isSubscription(params, defined)) {
      return overHttp(params, Object.assign({}, options, { headers: headers }));
    }
    var authorization = headers.Authorization || headers.authorization;
    return socketFor(authorization).iterate({
      query: params.query,
      variables: params.variables,
      operationName: params.operationName,
    });
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: page.tabs,
      defaultHeaders: page.headers,
      defaultEditorToolsVisibility: true,
    })
  );
})();
