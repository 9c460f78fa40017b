;; A tour of clj-wasi at the REPL, as a script:  bin/clojure -M examples/tour.clj
(require '[clj-wasi.wasm :as wasm])

;; run a command: args, environment, captured output
(prn (wasm/run "examples/hello/hello.wasm" {:args ["clojure"] :env {"LANG" "C.UTF-8"}}))

;; in-memory files: the tree goes in under :files and comes back under :files
(prn (:files (wasm/run "examples/files-property/tac.wasm"
                       {:files {"/data/in.txt" "one\ntwo\nthree\n"}})))

;; the same as bytes
(prn (update-vals (:files (wasm/run "examples/files-property/tac.wasm"
                                    {:files {"/data/in.txt" "a\nb"} :files-as :bytes}))
                  vec))

;; an instance keeps its tree until closed; trace every WASI call it makes
(with-open [i (wasm/load-wasi "examples/files-property/tac.wasm"
                              {:files {"/data/in.txt" "x\ny\n"} :trace true :clock 0})]
  (prn :exit ((wasm/fn i "_start")))
  (prn :files (wasm/files i))
  (prn :calls (frequencies (map :fn (wasm/trace i)))))

;; errors are ex-info with a :type
(try
  (wasm/run "examples/hello/hello.wasm" {:files {"in.txt" "relative"}})
  (catch clojure.lang.ExceptionInfo e
    (prn (select-keys (ex-data e) [:type :key]) (ex-message e))))
