#pragma once

// tpe_search: sampler_search driven by tpe_sampler (tuning/tpe.hpp).

#include <cstdint>
#include <utility>      // std::move

#include "mlpipe/tuning/random_search.hpp"
#include "mlpipe/tuning/space.hpp"

#include "mlpipe/tuning/tpe.hpp"

namespace mlpipe {

// tpe_search -- the Tree-structured Parzen Estimator as a search stage: sampler_search with a tpe_sampler seeded by
// options.seed; mp::tpe_search{pipe, space, {.n_trials = 50, .seed = 0, .cv = cv, .n_jobs = 2, .journal = "s.jsonl",
// .on_progress = mp::progress_bar()}}. Trials are proposed options.batch at a time (never by n_jobs), so the search
// is the same for any n_jobs; the table has a "trial" column.
template <class Spec>
struct tpe_search : sampler_search<Spec, tpe_sampler, "tpe_search"> {
  tpe_search(Spec estimator, space_list space, sampler_search_options options = {})
      : sampler_search<Spec, tpe_sampler, "tpe_search">(
            std::move(estimator), tpe_sampler{space, {.seed = static_cast<std::uint32_t>(options.seed)}}, options,
            space) {}
};

template <class Spec>
tpe_search(Spec, space_list, sampler_search_options) -> tpe_search<Spec>;
template <class Spec>
tpe_search(Spec, space_list) -> tpe_search<Spec>;

}  // namespace mlpipe
