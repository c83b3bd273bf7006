#include "criteria/registry.hpp"

#include <tierslieux/errors.hpp>
#include <tierslieux/pipeline.hpp>

namespace tierslieux {

const std::vector<CriterionDef>& criteria_registry() {
    static const std::vector<CriterionDef> registry = [] {
        std::vector<CriterionDef> all;
        for (auto family : {demand_criteria, broadband_criteria, commute_criteria, building_criteria,
                            competition_criteria, observed_criteria}) {
            for (CriterionDef& def : family()) {
                all.push_back(std::move(def));
            }
        }
        return all;
    }();
    return registry;
}

const std::vector<CriterionInfo>& criteria_catalogue() {
    static const std::vector<CriterionInfo> catalogue = [] {
        std::vector<CriterionInfo> out;
        for (const CriterionDef& def : criteria_registry()) {
            out.push_back(def.info);
        }
        return out;
    }();
    return catalogue;
}

std::string criterion_name(const std::string& pattern, int threshold) {
    const std::size_t t = pattern.find("<T>");
    return t == std::string::npos ? pattern : std::string{pattern}.replace(t, 3, std::to_string(threshold));
}

CriterionInfo criterion_info(const std::string& name) {
    for (const auto& info : criteria_catalogue()) {
        const std::size_t t = info.name.find("<T>");
        if (t == std::string::npos) {
            if (info.name == name) {
                return info;
            }
            continue;
        }
        const std::string head = info.name.substr(0, t);
        const std::string tail = info.name.substr(t + 3);
        if (name.size() > head.size() + tail.size() && name.compare(0, head.size(), head) == 0 &&
            name.compare(name.size() - tail.size(), tail.size(), tail) == 0) {
            const std::string digits = name.substr(head.size(), name.size() - head.size() - tail.size());
            if (digits.find_first_not_of("0123456789") == std::string::npos) {
                CriterionInfo out = info;
                out.name = name;
                const std::size_t d = out.description.find("<T>");
                if (d != std::string::npos) {
                    out.description.replace(d, 3, digits);
                }
                return out;
            }
        }
    }
    throw not_found("no criterion named '" + name + "' in the catalogue");
}

std::map<std::string, double> default_weights(const std::vector<CriterionDef>& registry,
                                              const std::vector<int>& thresholds_min) {
    std::map<std::string, double> w;
    for (const CriterionDef& def : registry) {
        if (def.default_weight <= 0.0) {
            continue;
        }
        if (def.info.name.find("<T>") == std::string::npos) {
            w[def.info.name] = def.default_weight;
            continue;
        }
        for (const int t : thresholds_min) {
            w[criterion_name(def.info.name, t)] = def.default_weight / static_cast<double>(thresholds_min.size());
        }
    }
    return w;
}

std::map<std::string, double> default_weights(const std::vector<int>& thresholds_min) {
    // demand 0.45, broadband 0.15, commute 0.15, building 0.15, gap filling 0.10 (+ 0.15 with existing
    // tiers-lieux): the families of docs/criteria.md; a judgement, meant to be changed (each family's file)
    return default_weights(criteria_registry(), thresholds_min);
}

} // namespace tierslieux
