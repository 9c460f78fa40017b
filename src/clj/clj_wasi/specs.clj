(ns clj-wasi.specs
  "The specs of clj-wasi.wasm: one per option (from clj-wasi.impl.options' table, as
  :clj-wasi.specs/<key>), the options maps of `load` and of `load-wasi` and `run`, and
  an s/fdef for every public function, for clojure.spec.test.alpha/instrument:

      (stest/instrument (stest/enumerate-namespace 'clj-wasi.wasm))

  Require it before instrumenting (clj-wasi.wasm does not load it: the specs are for the
  REPL and tests, and the command-line runner starts faster without them)."
  (:require [clj-wasi.impl.options :as options]
            [clj-wasi.wasm :as wasm]
            [clojure.spec.alpha :as s])
  (:import (clj_wasi.impl.memory CString)
           (java.io File InputStream)
           (java.net URL)
           (java.nio.file Path)))

(doseq [{k :key spec :spec} options/table]
  (s/def-impl (keyword "clj-wasi.specs" (name k)) (s/form spec) spec))

(defmacro ^:private options-spec
  "The spec of an options map of `in` (see options/keys-of): nil, or a map of those
  keys only, each valid."
  [in]
  `(s/nilable (s/and (s/keys :opt-un ~(mapv #(keyword "clj-wasi.specs" (name %))
                                            (sort (options/keys-of in))))
                     #(every? (options/keys-of ~in) (keys %)))))

(s/def ::load-options (options-spec :load))
(s/def ::wasi-options (options-spec :wasi))

(s/def ::src (s/or :path string? :file #(instance? File %) :nio-path #(instance? Path %)
                   :url #(instance? URL %) :bytes bytes? :stream #(instance? InputStream %)
                   :module wasm/module? :snapshot wasm/snapshot?))
(s/def ::instance wasm/instance?)
(s/def ::name string?)
(s/def ::export-name (s/or :string string? :keyword keyword? :symbol symbol?))
(s/def ::cstring #(instance? CString %))
(s/def ::kind #{:function :memory :table :global :tag})
(s/def ::module string?)
(s/def ::signature (s/keys :req-un [::name ::kind]
                           :opt-un [::module ::options/params ::options/results]))
(s/def ::offset nat-int?)
(s/def ::length nat-int?)
(s/def ::exit (s/nilable int?))
(s/def ::out (s/nilable string?))
(s/def ::err (s/nilable string?))

;; functions that take and return the same share one spec
(doseq [[syms spec] [[[`wasm/module? `wasm/instance? `wasm/snapshot?]
                      (s/fspec :args (s/cat :x any?) :ret boolean?)]
                     [[`wasm/exports `wasm/imports]
                      (s/fspec :args (s/cat :x (s/or :instance ::instance :src ::src))
                               :ret (s/coll-of ::signature :kind vector?))]
                     [[`wasm/write-string! `wasm/write-cstring!]
                      (s/fspec :args (s/cat :inst ::instance :offset ::offset :s string?)
                               :ret nat-int?)]]
        sym syms]
  (s/def-impl sym (s/form spec) spec))

(s/fdef wasm/module
  :args (s/cat :src ::src)
  :ret wasm/module?)
(s/fdef wasm/load
  :args (s/cat :src ::src :opts (s/? ::load-options))
  :ret ::instance)
(s/fdef wasm/load-wasi
  :args (s/cat :src ::src :opts (s/? ::wasi-options))
  :ret ::instance)
(s/fdef wasm/run
  :args (s/cat :src ::src :opts (s/? ::wasi-options))
  :ret (s/keys :req-un [::exit] :opt-un [::out ::err ::files]))
(s/fdef wasm/fn
  :args (s/cat :inst ::instance :name ::export-name)
  :ret ifn?)
(s/fdef wasm/call
  :args (s/cat :inst ::instance :name ::export-name
               :args (s/* (s/or :number number? :string string? :bytes bytes? :cstring ::cstring))))
(s/fdef wasm/cstr
  :args (s/cat :s string?))
(s/fdef wasm/read-cstring
  :args (s/cat :inst ::instance :offset ::offset)
  :ret string?)
(s/fdef wasm/read-value
  :args (s/cat :inst ::instance :ty ::options/valtype :offset ::offset)
  :ret number?)
(s/fdef wasm/write-value!
  :args (s/cat :inst ::instance :ty ::options/valtype :offset ::offset :v number?)
  :ret nil?)
(s/fdef wasm/global
  :args (s/cat :inst ::instance :name ::export-name)
  :ret number?)
(s/fdef wasm/set-global!
  :args (s/cat :inst ::instance :name ::export-name :v number?)
  :ret nil?)
(s/fdef wasm/snapshot
  :args (s/cat :inst ::instance)
  :ret wasm/snapshot?)
(s/fdef wasm/memory-size
  :args (s/cat :inst ::instance)
  :ret nat-int?)
(s/fdef wasm/read-bytes
  :args (s/cat :inst ::instance :offset ::offset :len ::length)
  :ret bytes?)
(s/fdef wasm/write-bytes!
  :args (s/cat :inst ::instance :offset ::offset :bs bytes?)
  :ret nat-int?)
(s/fdef wasm/read-string
  :args (s/cat :inst ::instance :offset ::offset :len ::length)
  :ret string?)
(s/fdef wasm/captured
  :args (s/cat :inst ::instance :stream #{:stdout :stderr})
  :ret (s/nilable string?))
(s/fdef wasm/trace
  :args (s/cat :inst ::instance)
  :ret vector?)
(s/fdef wasm/files
  :args (s/cat :inst ::instance :as (s/? (s/nilable ::files-as)))
  :ret (s/nilable map?))
(s/fdef wasm/close
  :args (s/cat :inst ::instance))
(s/fdef wasm/listen-addresses
  :args (s/cat :inst ::instance)
  :ret (s/coll-of string? :kind vector?))
