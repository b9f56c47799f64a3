// Header search box: fills the <datalist> from /search/suggest as the buyer types.
(function () {
  const input = document.querySelector('.search-box input[data-suggest-url]');
  if (!input) return;
  const list = document.getElementById(input.getAttribute('list'));
  let timer = null;
  input.addEventListener('input', function () {
    clearTimeout(timer);
    const query = input.value.trim();
    if (query.length < 2) return;
    timer = setTimeout(async function () {
      const response = await fetch(input.dataset.suggestUrl + '?q=' + encodeURIComponent(query));
      if (!response.ok) return;
      const data = await response.json();
      list.replaceChildren(...[...data.categories, ...data.products].map(function (item) {
        const option = document.createElement('option');
        option.value = item.title || item.name;
        return option;
      }));
    }, 150);
  });
})();
